import { randomUUID } from 'node:crypto';
import { create, fromBinary } from '@bufbuild/protobuf';
import { KafkaTransport, toKafkaRecord, type OutgoingRecord } from '@cancuoc/messaging';
import { ChangeKind, CitizenRecordChangedSchema, partner, REGISTRY_CITIZEN_TOPIC, Sex } from '@cancuoc/proto';
import { Kafka, logLevel } from 'kafkajs';

/** A registry change of citizen `id` at `version`, its given name carrying the change's number. */
export function registryChange(id: string, version: number, seq: number): OutgoingRecord {
  return toKafkaRecord({
    topic: REGISTRY_CITIZEN_TOPIC.name,
    schema: CitizenRecordChangedSchema,
    data: create(CitizenRecordChangedSchema, {
      citizenId: id,
      recordVersion: BigInt(version),
      changeKind: version === 1 ? ChangeKind.REGISTERED : ChangeKind.NAME_CHANGED,
      citizen: {
        personalId: `001${String(100_000_000 + seq).slice(-9)}`,
        familyName: 'Nguyễn',
        middleName: 'Văn',
        givenName: `L${seq}`,
        birthDate: '1990-05-17',
        sex: Sex.MALE,
        nationality: 'VNM',
        ethnicity: 'Kinh',
        religion: 'Không',
        permanentResidence: { provinceCode: '001', communeCode: '00004', detail: 'x' },
      },
    }),
    id: randomUUID(),
    source: '/cancuoc/registry',
    time: new Date(),
    subject: id,
    traceparent: undefined,
    correlationId: randomUUID(),
    causationId: undefined,
    sequence: version,
  });
}

export interface LatencyRun {
  readonly rate: number;
  readonly sent: number;
  /** Milliseconds, ascending. */
  readonly samples: number[];
  readonly seconds: number;
  /**
   * The same changes split where the pipeline leaves a timestamp, each ascending (wall clock, ms):
   * published → recorded in data sharing's event store (inbound consumer and inbox);
   * → sent to the agency's topic (projection, view, queue, publisher); → in the agency's consumer.
   */
  readonly stages?: { readonly inbound: number[]; readonly project: number[]; readonly agency: number[] };
}

/** Where each measured change was recorded: `es_events.recorded_at` of its received event. */
export type RecordedAt = (
  changes: readonly { citizenId: string; version: number }[],
) => Promise<(number | undefined)[]>;

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/**
 * Registry changes at `rate` per second (open loop: on schedule, whatever came before) for
 * `seconds`, after a warm-up of `warmupSeconds`; each is timed from just before its publish to its
 * arrival on the agency's compacted topic, read by the agency's own consumer. One clock: this
 * process sends and receives.
 */
export async function pipelineLatency(options: {
  brokers: readonly string[];
  agency: string;
  citizens: readonly string[];
  versions: Map<string, number>;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  maxWaitMs: number;
  firstSeq: number;
  recordedAt: RecordedAt;
}): Promise<LatencyRun> {
  const transport = new KafkaTransport({
    brokers: options.brokers,
    clientId: 'bench-registry',
    idempotent: false,
  });
  const sentAt = new Map<number, number>();
  const arrived = new Map<number, number>();
  const wall = new Map<
    number,
    { sent: number; topic?: number; arrived?: number; citizenId: string; version: number }
  >();
  const kafka = new Kafka({
    clientId: 'bench-agency',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `bench-agency-${randomUUID()}`,
    maxWaitTimeInMs: options.maxWaitMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [`partner.${options.agency}.citizen.v1`], fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const name = fromBinary(partner.PartnerCitizenSchema, message.value).name?.givenName ?? '';
      const seq = Number(name.slice(1));
      if (sentAt.has(seq) && !arrived.has(seq)) {
        arrived.set(seq, performance.now());
        const w = wall.get(seq)!;
        w.arrived = Date.now();
        w.topic = Number(message.timestamp);
      }
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
  const warmup = Math.round(options.rate * options.warmupSeconds);
  const measured = Math.round(options.rate * options.seconds);
  const total = warmup + measured;
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    await sleepUntil(started + (i * 1000) / options.rate);
    const seq = options.firstSeq + i;
    const id = options.citizens[i % options.citizens.length]!;
    const version = (options.versions.get(id) ?? 0) + 1;
    options.versions.set(id, version);
    sentAt.set(seq, performance.now());
    wall.set(seq, { sent: Date.now(), citizenId: id, version });
    sends.push(transport.publish([registryChange(id, version, seq)]));
  }
  await Promise.all(sends);
  const deadline = performance.now() + 60_000;
  while (arrived.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  await transport.close();
  const samples: number[] = [];
  const measuredSeqs: number[] = [];
  for (let i = warmup; i < total; i++) {
    const seq = options.firstSeq + i;
    const at = arrived.get(seq);
    if (at !== undefined) {
      samples.push(at - sentAt.get(seq)!);
      measuredSeqs.push(seq);
    }
  }
  samples.sort((a, b) => a - b);
  const recorded = await options.recordedAt(measuredSeqs.map((seq) => wall.get(seq)!));
  const stages = { inbound: [] as number[], project: [] as number[], agency: [] as number[] };
  measuredSeqs.forEach((seq, i) => {
    const w = wall.get(seq)!;
    const r = recorded[i];
    if (r === undefined || w.topic === undefined || w.arrived === undefined) return;
    stages.inbound.push(r - w.sent);
    stages.project.push(w.topic - r);
    stages.agency.push(w.arrived - w.topic);
  });
  for (const list of Object.values(stages)) list.sort((a, b) => a - b);
  return { rate: options.rate, sent: measured, samples, seconds: options.seconds, stages };
}

/** The same rate through kafkajs alone: send → eachMessage on a plain topic, no database. */
export async function rawLatency(options: {
  brokers: readonly string[];
  topic: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  maxWaitMs: number;
}): Promise<LatencyRun> {
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({
    groupId: `bench-raw-${randomUUID()}`,
    maxWaitTimeInMs: options.maxWaitMs,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  const sentAt = new Map<number, number>();
  const arrived = new Map<number, number>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const seq = Number(message.value?.toString());
      if (!arrived.has(seq)) arrived.set(seq, performance.now());
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
  const warmup = Math.round(options.rate * options.warmupSeconds);
  const total = warmup + Math.round(options.rate * options.seconds);
  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    await sleepUntil(started + (i * 1000) / options.rate);
    sentAt.set(i, performance.now());
    sends.push(
      producer.send({
        topic: options.topic,
        acks: -1,
        messages: [{ key: String(i % 100), value: String(i) }],
      }),
    );
  }
  await Promise.all(sends);
  const deadline = performance.now() + 30_000;
  while (arrived.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  await producer.disconnect();
  const samples: number[] = [];
  for (let i = warmup; i < total; i++) {
    const at = arrived.get(i);
    if (at !== undefined) samples.push(at - sentAt.get(i)!);
  }
  samples.sort((a, b) => a - b);
  return { rate: options.rate, sent: total - warmup, samples, seconds: options.seconds };
}
