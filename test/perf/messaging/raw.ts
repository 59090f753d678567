import { randomUUID } from 'node:crypto';
import { Database, EventStore, START, type Checkpoint, type RecordedEvent } from '@cancuoc/eventstore';
import type { OutgoingRecord } from '@cancuoc/messaging';
import {
  Kafka,
  Partitioners,
  logLevel,
  type ConsumerRunConfig,
  type KafkaMessage,
  type Message,
  type Producer,
} from 'kafkajs';
import pg from 'pg';
import { citizenEvent } from '../eventstore/payload.js';
import { citizenMapper, recordsOf, summarise } from './payload.js';
import {
  rateOf,
  runAtRate,
  until,
  type Drain,
  type Latency,
  type LatencySpec,
  type Prepared,
  type Throughput,
} from './workload.js';

const TIMEOUT_MS = 600_000;

function kafkaMessage(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value:
      record.value === null
        ? null
        : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
    headers: { ...record.headers },
  };
}

/**
 * kafkajs alone, configured as KafkaTransport configures it (same client, retry and producer
 * settings, acks -1), sending records built before the clock starts: what publishing costs with
 * nothing of ours in between.
 */
export class Raw {
  private messages: Message[] = [];
  private topic = '';

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly databaseUrl: string,
  ) {}

  static async open(databaseUrl: string, brokers: readonly string[]): Promise<Raw> {
    const kafka = new Kafka({
      clientId: 'bench-raw',
      brokers: [...brokers],
      requestTimeout: 30_000,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    });
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new Raw(kafka, producer, databaseUrl);
  }

  /**
   * Reads the whole log once and builds, with the relay's own mapping, the records the relay sends;
   * then warms the producer with the first of them.
   */
  async prepare(topic: string, warmupRecords: number): Promise<Prepared> {
    const db = await Database.connect({ databaseUrl: this.databaseUrl, applicationName: 'bench-raw' });
    const records: OutgoingRecord[] = [];
    try {
      const store = new EventStore(db);
      const map = citizenMapper(topic);
      let after: Checkpoint = START;
      for (;;) {
        const page = await store.readAll({ after, limit: 1000 });
        for (const event of page.events) records.push(...recordsOf(event, map));
        if (page.events.length === 0) break;
        after = page.checkpoint;
      }
    } finally {
      await db.close();
    }
    this.topic = topic;
    this.messages = records.map(kafkaMessage);
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: this.messages.slice(0, warmupRecords) }],
    });
    return summarise(records);
  }

  /** Sends every prepared record in batches of `batchSize`, each acknowledged before the next. */
  async produceAll(batchSize: number): Promise<Throughput> {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let batches = 0;
    for (let i = 0; i < this.messages.length; i += batchSize) {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: this.topic, messages: this.messages.slice(i, i + batchSize) }],
      });
      batches += 1;
    }
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    return { kind: 'throughput', ms, events: this.messages.length, batches, cpuUs: user + system };
  }

  /**
   * One record per `send` at a fixed rate to a plain kafkajs consumer (`eachMessage`, default
   * commits), each timed from just before its `send` to its `eachMessage` call: the broker round
   * trips alone, for context beside our pipeline.
   */
  async latency(spec: LatencySpec): Promise<Latency> {
    const consumer = this.kafka.consumer({
      groupId: `bench-raw-${spec.tag}`,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: spec.maxWaitMs,
    });
    const sentAt = new Map<string, number>();
    const receivedAt = new Map<string, number>();
    await consumer.connect();
    await consumer.subscribe({ topics: [spec.topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers?.['ce_id']?.toString();
        if (id !== undefined) receivedAt.set(id, performance.now());
      },
    });
    const map = citizenMapper(spec.topic);
    const send = async (n: number): Promise<string> => {
      const id = randomUUID();
      const event: RecordedEvent = {
        eventId: id,
        type: 'CitizenRegistered',
        data: citizenEvent(n).data,
        schemaVersion: 1,
        streamId: `latency-${spec.tag}-${n % 1000}`,
        streamVersion: 1 + Math.floor(n / 1000),
        globalPosition: BigInt(n + 1),
        transactionId: BigInt(n + 1),
        metadata: { correlationId: randomUUID(), causationId: null, actor: 'bench', traceparent: null },
        recordedAt: new Date(),
      };
      const messages = recordsOf(event, map).map(kafkaMessage);
      sentAt.set(id, performance.now());
      await this.producer.send({ topic: spec.topic, acks: -1, messages });
      return id;
    };
    try {
      const run = await runAtRate(
        spec,
        send,
        (id) => receivedAt.has(id),
        () => undefined,
      );
      const samples = run.ids.map((id) => receivedAt.get(id)! - sentAt.get(id)!).sort((a, b) => a - b);
      const first = Math.min(...run.ids.map((id) => sentAt.get(id)!));
      const last = Math.max(...run.ids.map((id) => receivedAt.get(id)!));
      return {
        kind: 'latency',
        samples,
        achievedRate: run.achievedRate,
        deliveredRate: (run.ids.length * 1000) / (last - first),
        cpuUs: run.cpuUs,
        ms: run.ms,
      };
    } finally {
      await consumer.disconnect();
    }
  }

  /**
   * Times plain kafkajs consumers working through the backlog the Ours worker published to `topic`:
   * one applying each record in a PostgreSQL transaction through plain `pg` (the same inbox and effect
   * inserts as the IdempotentConsumer), and one that only receives.
   */
  /**
   * The hand-written peer of a batching idempotent consumer: kafkajs eachBatch, and per slice of up
   * to 500 records one `pg` transaction with one inbox INSERT … unnest and one effects INSERT of the
   * records that were new, then the offsets.
   */
  private drainBatched(client: pg.Client, group: string, tag: string, topic: string, events: number) {
    return this.timedDrain(group, topic, events, (done) => ({
      eachBatch: async ({ batch, resolveOffset }) => {
        for (let i = 0; i < batch.messages.length; i += 500) {
          const slice = batch.messages.slice(i, i + 500);
          const ids = slice.map((m) => m.headers?.['ce_id']?.toString() ?? '');
          const subjects = slice.map((m) => m.headers?.['ce_subject']?.toString() ?? '');
          await client.query('BEGIN');
          try {
            const fresh = await client.query<{ event_id: string }>(
              `INSERT INTO raw_inbox (subscriber, event_id, topic) SELECT $1, u, $3 FROM unnest($2::text[]) AS u
               ON CONFLICT DO NOTHING RETURNING event_id`,
              [`${tag}-batch`, ids, topic],
            );
            const wanted = new Set(fresh.rows.map((r) => r.event_id));
            const keep = ids.map((id, j) => (wanted.has(id) ? j : -1)).filter((j) => j >= 0);
            await client.query(
              `INSERT INTO raw_effects (run, event_id, subject) SELECT $1, e, s FROM unnest($2::text[], $3::text[]) AS u(e, s)`,
              [`${tag}-batch`, keep.map((j) => ids[j]), keep.map((j) => subjects[j])],
            );
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
          const now = performance.now();
          for (let j = 0; j < slice.length; j++) done.push(now);
          resolveOffset(slice[slice.length - 1]!.offset);
        }
      },
    }));
  }

  /** Runs a fresh group over `topic` from the beginning until `events` records are done; their rate. */
  private async timedDrain(
    group: string,
    topic: string,
    events: number,
    handlers: (done: number[]) => Pick<ConsumerRunConfig, 'eachMessage' | 'eachBatch'>,
  ): Promise<number> {
    const consumer = this.kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
    });
    const done: number[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run(handlers(done));
      await until(`${group} to take ${events} records`, () => done.length >= events, TIMEOUT_MS, 10);
    } finally {
      await consumer.disconnect();
    }
    return rateOf(done);
  }

  async drain(tag: string, topic: string, events: number): Promise<Drain> {
    const consume = (group: string, apply?: (message: KafkaMessage) => Promise<void>) =>
      this.timedDrain(group, topic, events, (done) => ({
        eachMessage: async ({ message }) => {
          await apply?.(message);
          done.push(performance.now());
        },
      }));
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'bench-raw' });
    await client.connect();
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS raw_inbox (subscriber text NOT NULL, event_id text NOT NULL,
           topic text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (subscriber, event_id));
         CREATE TABLE IF NOT EXISTS raw_effects (run text NOT NULL, event_id text NOT NULL, subject text NOT NULL,
           effect_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, event_id))`,
      );
      const transactional = await consume(`bench-${tag}-tx`, async (message) => {
        const id = message.headers?.['ce_id']?.toString() ?? '';
        await client.query('BEGIN');
        try {
          const inbox = await client.query(
            'INSERT INTO raw_inbox (subscriber, event_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [tag, id, topic],
          );
          if (inbox.rowCount === 1) {
            await client.query('INSERT INTO raw_effects (run, event_id, subject) VALUES ($1, $2, $3)', [
              tag,
              id,
              message.headers?.['ce_subject']?.toString() ?? '',
            ]);
          }
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      });
      const batched = await this.drainBatched(client, `bench-${tag}-batch`, tag, topic, events);
      const alone = await consume(`bench-${tag}-alone`);
      return { kind: 'drain', rates: { 'raw-tx': transactional, 'raw-batch': batched, 'raw-alone': alone } };
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
