/**
 * Messaging benchmark, on one Kafka-protocol broker (librdkafka's mock cluster) and one PostgreSQL
 * database in the same run, each system in a process of its own; prints markdown tables:
 * - relay throughput: our outbox Relay catching up on the event store, against kafkajs sending the
 *   same records (byte for byte) in batches of the same size;
 * - latency from an append to its effect in an IdempotentConsumer at a fixed rate, beside kafkajs's
 *   own send → receive latency at that rate;
 * - how fast consumers work through a backlog, which bounds the rate the pipeline can sustain.
 *
 *   npm run bench:messaging    (or: tsc -b test/perf && node test/perf/dist/messaging/bench.js)
 *
 * BENCH_SCALE (default 1) multiplies the events relayed, the seconds of each latency run and the
 * backlog drained.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Database, eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import {
  TEST_POSTGRES_URL,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type KafkaTopicSpec,
  type TestDatabase,
} from '@cancuoc/testing';
import pg from 'pg';
import {
  drainTable,
  latencyTable,
  throughputTable,
  type DrainRow,
  type LatencyRow,
  type ThroughputRow,
} from './table.js';
import {
  percentile,
  type Filled,
  type Latency,
  type LatencySpec,
  type Measurement,
  type Prepared,
  type Request,
  type Response,
  type SystemName,
  type Throughput,
} from './workload.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
/** Events in the log, each relayed (and sent raw) once per round of every throughput row. */
const EVENTS = Math.round(50_000 * SCALE);
const EVENTS_PER_APPEND = 10;
const FILL_WRITERS = 4;
const BATCH_SIZES = [100, 500, 1000] as const;
/** Each throughput row is measured in rounds, the systems taking turns, as the disk's speed drifts. */
const ROUNDS = 5;
const BROKERS = 3;
const PARTITIONS = 12;
const THROUGHPUT_TOPIC = 'bench.relay';
const LATENCY_SECONDS = Math.max(3, Math.round(20 * SCALE));
const LATENCY_WARMUP_SECONDS = 2;
/**
 * Latency runs: events per second, and the consumer's fetch wait. 500 ms is the transport's default;
 * but the mock broker answers a fetch that finds nothing only after the whole wait, even when records
 * arrive meanwhile (a real broker answers as soon as they do), so there the wait, not the pipeline,
 * sets the latency. A 20 ms wait shows the pipeline.
 */
const LATENCY_RUNS = [
  { rate: 200, maxWaitMs: 500 },
  { rate: 200, maxWaitMs: 20 },
  { rate: 100, maxWaitMs: 20 },
] as const;
/** Records published up front, then drained by each consumer: how many events/s a consumer can apply. */
const DRAIN_EVENTS = Math.round(5_000 * SCALE);
const DRAIN_TOPIC = 'bench.drain';
const SYSTEMS: readonly SystemName[] = ['ours', 'raw'];

type Op = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A system's worker process, answering one request at a time. */
class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private readonly pending = new Map<
    number,
    { resolve(m: Measurement | null): void; reject(e: Error): void }
  >();
  private nextId = 0;

  constructor(
    readonly name: SystemName,
    databaseUrl: string,
    brokers: readonly string[],
  ) {
    const script = fileURLToPath(new URL('./worker.js', import.meta.url));
    this.child = fork(script, [name, databaseUrl, brokers.join(',')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // kafkajs 2.2.4's request queue sets timers to negative delays, which Node 24 warns about.
      execArgv: [...process.execArgv, '--disable-warning=TimeoutNegativeWarning'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: Response) => {
        if (m.kind === 'ready') return resolve();
        const waiter = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.kind === 'done') waiter?.resolve(m.result);
        else waiter?.reject(new Error(`${name}: ${m.error}`));
      });
      this.child.on('exit', (code) => {
        const error = new Error(`${name} worker exited with code ${code}`);
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    });
    this.ready.catch(() => undefined); // awaited later; a crash before then must not go unhandled
  }

  request<K extends Measurement['kind']>(op: Op, kind: K): Promise<Extract<Measurement, { kind: K }>>;
  request(op: Op, kind: null): Promise<null>;
  request(op: Op, _kind: Measurement['kind'] | null): Promise<Measurement | null> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...op, id } as Request);
    });
  }
}

/** Flushes what the previous measurement left dirty, so that no system pays for another's writes. */
async function checkpoint(admin: pg.Client): Promise<void> {
  await admin.query('CHECKPOINT');
}

/** CPU time of the whole machine so far, busy and in all, for the share it was busy between two calls. */
function machineCpu(): { busy: number; all: number } {
  let busy = 0;
  let all = 0;
  for (const { times } of cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    all += used + times.idle;
  }
  return { busy, all };
}

/** Each row runs its systems in a different order, so no system always goes first. */
function rotated(index: number): SystemName[] {
  return SYSTEMS.map((_, i) => SYSTEMS[(i + index) % SYSTEMS.length]!);
}

function latencyTopic(system: SystemName, run: (typeof LATENCY_RUNS)[number]): string {
  return `bench.latency.${system}.r${run.rate}.w${run.maxWaitMs}`;
}

async function versions(): Promise<{ kafkajs: string; librdkafka: string }> {
  const require = createRequire(import.meta.url);
  const kafkajs = JSON.parse(await readFile(require.resolve('kafkajs/package.json'), 'utf8')) as {
    version: string;
  };
  const librdkafka = await promisify(execFile)('pkg-config', ['--modversion', 'rdkafka']).then(
    ({ stdout }) => stdout.trim(),
    () => 'unknown',
  );
  return { kafkajs: kafkajs.version, librdkafka };
}

async function machine(admin: pg.Client, filled: Filled, records: Prepared): Promise<string> {
  const setting = async (name: string) =>
    (await admin.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v;
  const version = await setting('server_version');
  const cpu = cpus();
  const v = await versions();
  const per = (bytes: number) => Math.round(bytes / records.records);
  return [
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), PostgreSQL ${version} ` +
      `(synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}, ` +
      `shared_buffers=${await setting('shared_buffers')}), Node ${process.version}, kafkajs ${v.kafkajs}, ` +
      `librdkafka ${v.librdkafka} mock cluster (${BROKERS} brokers, in memory)`,
    `Log: ${filled.events.toLocaleString('en-US')} CitizenRegistered events over ` +
      `${filled.streams.toLocaleString('en-US')} streams, ${EVENTS_PER_APPEND} per append. ` +
      `Records: CloudEvents binary mode, CitizenRecordChanged, key ${per(records.keyBytes)} B, ` +
      `Protobuf value ${per(records.valueBytes)} B, ${per(records.headers)} headers of ` +
      `${per(records.headerBytes)} B; topic of ${PARTITIONS} partitions; acks -1, not idempotent. ` +
      `Each system in its own process; throughput rows in ${ROUNDS} interleaved rounds; scale ${SCALE}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'bench-admin' });
  await admin.connect();
  let broker: KafkaBroker | undefined;
  let database: TestDatabase | undefined;
  const workers = new Map<SystemName, Worker>();
  try {
    const topics: KafkaTopicSpec[] = [
      { name: THROUGHPUT_TOPIC, partitions: PARTITIONS },
      { name: DRAIN_TOPIC, partitions: PARTITIONS },
      { name: `${DRAIN_TOPIC}.dlq`, partitions: PARTITIONS },
    ];
    for (const run of LATENCY_RUNS) {
      for (const system of SYSTEMS) {
        topics.push({ name: latencyTopic(system, run), partitions: PARTITIONS });
        topics.push({ name: `${latencyTopic(system, run)}.dlq`, partitions: PARTITIONS });
      }
    }
    broker = await startKafkaBroker({ topics, brokers: BROKERS });
    database = await createTestDatabase('bench_messaging');
    const db = await Database.connect({
      databaseUrl: database.url,
      migrations: [...eventStoreMigrations, ...inboxMigrations],
    });
    await db.migrate().finally(() => db.close());
    for (const name of SYSTEMS) workers.set(name, new Worker(name, database.url, broker.bootstrapServers));
    for (const worker of workers.values()) await worker.ready;
    const ours = workers.get('ours')!;
    const raw = workers.get('raw')!;

    const filled = await ours.request(
      { op: 'fill', events: EVENTS, eventsPerAppend: EVENTS_PER_APPEND, writers: FILL_WRITERS },
      'filled',
    );
    process.stderr.write(`  filled ${filled.events} events in ${(filled.ms / 1000).toFixed(1)} s\n`);
    const warmupRecords = Math.min(1000, EVENTS);
    const prepared = await ours.request(
      { op: 'prepare', topic: THROUGHPUT_TOPIC, warmupRecords },
      'prepared',
    );
    const rawPrepared = await raw.request(
      { op: 'prepare', topic: THROUGHPUT_TOPIC, warmupRecords },
      'prepared',
    );
    if (prepared.digest !== rawPrepared.digest || prepared.records !== rawPrepared.records) {
      throw new Error(
        `the raw baseline would send other records than the relay: ${rawPrepared.records} records ` +
          `${rawPrepared.digest} against ${prepared.records} records ${prepared.digest}`,
      );
    }
    process.stderr.write(`  both send the same ${prepared.records} records (sha256 ${prepared.digest})\n`);

    const throughputRows: ThroughputRow[] = [];
    for (const [index, batchSize] of BATCH_SIZES.entries()) {
      const totals = {
        ours: { ms: 0, events: 0, cpuUs: 0, busy: 0, all: 0 },
        raw: { ms: 0, events: 0, cpuUs: 0, busy: 0, all: 0 },
      };
      const perRound: Record<SystemName, number[]> = { ours: [], raw: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const name of rotated(index + round)) {
          await checkpoint(admin);
          const before = machineCpu();
          const m: Throughput = await workers
            .get(name)!
            .request(
              { op: 'throughput', tag: `b${batchSize}r${round}`, topic: THROUGHPUT_TOPIC, batchSize },
              'throughput',
            );
          totals[name].ms += m.ms;
          totals[name].events += m.events;
          totals[name].cpuUs += m.cpuUs;
          const after = machineCpu();
          totals[name].busy += after.busy - before.busy;
          totals[name].all += after.all - before.all;
          perRound[name].push((m.events * 1000) / m.ms);
        }
      }
      const workload = `relay catch-up of ${EVENTS.toLocaleString('en-US')} events, batches of ${batchSize}`;
      const rate = (name: SystemName) => (totals[name].events * 1000) / totals[name].ms;
      throughputRows.push({ workload, ours: rate('ours'), raw: rate('raw') });
      const detail = SYSTEMS.map((s) => `${s} ${perRound[s].map((r) => r.toFixed(0)).join(' ')}`).join(' | ');
      const cpu = SYSTEMS.map((s) => `${s} ${(totals[s].cpuUs / totals[s].events).toFixed(1)}`).join(', ');
      const busy = SYSTEMS.map((s) => `${s} ${((100 * totals[s].busy) / totals[s].all).toFixed(0)}%`).join(
        ', ',
      );
      process.stderr.write(
        `  ${workload}\n    events/s per round: ${detail}\n` +
          `    Node CPU µs/event: ${cpu}; machine CPU busy (all cores): ${busy}\n`,
      );
    }

    const latencyRows: LatencyRow[] = [];
    for (const [index, run] of LATENCY_RUNS.entries()) {
      for (const name of rotated(index)) {
        await checkpoint(admin);
        const spec: LatencySpec = {
          tag: `lat${name}r${run.rate}w${run.maxWaitMs}`,
          topic: latencyTopic(name, run),
          rate: run.rate,
          events: run.rate * LATENCY_SECONDS,
          warmupEvents: run.rate * LATENCY_WARMUP_SECONDS,
          maxWaitMs: run.maxWaitMs,
        };
        const before = machineCpu();
        const m: Latency = await workers.get(name)!.request({ op: 'latency', spec }, 'latency');
        const after = machineCpu();
        latencyRows.push({
          pipeline:
            name === 'ours'
              ? 'Cancuoc: append → Relay → Kafka → IdempotentConsumer effect committed'
              : 'raw kafkajs: send → eachMessage',
          maxWaitMs: run.maxWaitMs,
          rate: m.achievedRate,
          deliveredRate: m.deliveredRate,
          samples: m.samples,
        });
        const split = Object.entries(m.stages ?? {}).map(
          ([stage, s]) =>
            `\n    ${stage}: p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms`,
        );
        process.stderr.write(
          `  latency ${name}, ${run.rate}/s, max wait ${run.maxWaitMs} ms: ${m.samples.length} events sent at ` +
            `${m.achievedRate.toFixed(0)}/s, delivered at ${m.deliveredRate.toFixed(0)}/s, ` +
            `Node CPU ${(m.cpuUs / 1000 / (m.ms / 1000)).toFixed(0)} ms/s, ` +
            `machine CPU busy ${((100 * (after.busy - before.busy)) / (after.all - before.all)).toFixed(0)}%` +
            `${m.eventsPerRelayBatch === undefined ? '' : `, ${m.eventsPerRelayBatch.toFixed(1)} events per relay batch`}${split.join('')}\n`,
        );
      }
    }

    // The Ours worker publishes the backlog, so it goes first.
    const drains = {
      ...(
        await ours.request({ op: 'drain', tag: 'drain', topic: DRAIN_TOPIC, events: DRAIN_EVENTS }, 'drain')
      ).rates,
    };
    await checkpoint(admin);
    Object.assign(
      drains,
      (await raw.request({ op: 'drain', tag: 'drain', topic: DRAIN_TOPIC, events: DRAIN_EVENTS }, 'drain'))
        .rates,
    );
    const drainRows: DrainRow[] = [
      {
        consumer:
          'Cancuoc IdempotentConsumer: inbox row + effect per event, up to 500 events per transaction',
        rate: drains['ours'] ?? Number.NaN,
      },
      {
        consumer:
          'raw kafkajs eachBatch + one inbox and one effects INSERT … unnest per 500, one `pg` transaction',
        rate: drains['raw-batch'] ?? Number.NaN,
      },
      {
        consumer: 'raw kafkajs eachMessage + the same two INSERTs in one `pg` transaction per event',
        rate: drains['raw-tx'] ?? Number.NaN,
      },
      { consumer: 'raw kafkajs eachMessage, no database', rate: drains['raw-alone'] ?? Number.NaN },
    ];

    console.log(await machine(admin, filled, prepared));
    console.log(`Run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`);
    console.log(throughputTable(throughputRows));
    console.log('');
    console.log(latencyTable(latencyRows));
    console.log('');
    console.log(drainTable(DRAIN_EVENTS, drainRows));

    for (const worker of workers.values()) await worker.request({ op: 'close' }, null);
  } finally {
    for (const worker of workers.values()) {
      if (worker.child.exitCode === null && worker.child.pid !== undefined) worker.child.kill();
    }
    await database?.drop().catch((error: unknown) => console.error(error));
    await broker?.stop().catch((error: unknown) => console.error(error));
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
