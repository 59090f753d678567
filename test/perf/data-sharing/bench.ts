/**
 * Data-sharing benchmark, each figure beside a baseline measured in the same run:
 *
 * (a) Back-fill of a new agency's view over 1,000,000 citizens: data sharing's executable
 *     (`services/data-sharing/dist/main.js`, PostgreSQL, the Kafka-protocol test broker) approves a
 *     subscription and re-projects every citizen of its projection into the agency's view (disclose
 *     under the terms, encode the partner Protobuf, diff against what the agency holds, write the view
 *     row and queue it), in resumable batches under the views lock; against the database building the
 *     same view with one INSERT … SELECT, and against Node + pg encoding the same Protobuf and writing
 *     it with a multi-row INSERT per batch. Then the same back-fill for a one-province agency whose
 *     topics exist, timed until everything is on its topics.
 * (b) Registry change → agency topic latency under a steady load: CitizenRecordChanged records
 *     published on `internal.registry.citizen.v1` at a fixed rate, timed to their arrival on
 *     `partner.<agency>.citizen.v1` (inbound consumer and inbox, received event recorded, citizen
 *     projection and view in one transaction, delivery publisher); against kafkajs alone
 *     (send → eachMessage, no database) at the same rate.
 *
 *   tsc -b test/perf && node test/perf/dist/data-sharing/bench.js
 *
 * BENCH_SCALE (default 1) multiplies the population (1,000,000) and the load duration (20 s);
 * BENCH_ONLY=backfill or BENCH_ONLY=latency runs one part.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { datasharing, partnerTopicsOf } from '@cancuoc/proto';
import { KafkaTransport } from '@cancuoc/messaging';
import { catalogueTopics, createTestDatabase, startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import pg from 'pg';
import { BENCH_FIELDS, insertSelect, nodeAndPg } from './baselines.js';
import { pipelineLatency, rawLatency, registryChange, type LatencyRun } from './latency.js';
import { seedCitizens } from './population.js';
import { BenchTrust } from '../support/trust.js';
import { startService, type RunningService } from './service.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const CITIZENS = Math.round(1_000_000 * SCALE);
const BATCH = 1_000;
const LOAD_SECONDS = Math.max(5, Math.round(20 * SCALE));
const RATES = [20, 50, 100];
const MAX_WAIT_MS = 20;
const LATENCY_CITIZENS = 2_000;
const RAW_TOPIC = 'bench.raw.latency.v1';
const ONLY = process.env['BENCH_ONLY'];

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const ms = (v: number) => (v < 10 ? v.toFixed(1) : count(v));

async function machine(admin: pg.Client): Promise<string> {
  const setting = async (name: string) =>
    (await admin.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;
  const cpu = cpus();
  return (
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), shared with other engineers' builds and tests while this ran; ` +
    `PostgreSQL ${await setting('server_version')} (synchronous_commit=${await setting('synchronous_commit')}, ` +
    `fsync=${await setting('fsync')}, shared_buffers=${await setting('shared_buffers')}), Node ${process.version}, ` +
    `kafkajs 2.2.4 against librdkafka's mock cluster (1 broker, in memory)`
  );
}

function terms(scope: { provinceCodes?: string[] }) {
  return {
    fields: BENCH_FIELDS,
    scope: { aliveOnly: true, ...scope },
    delivery: datasharing.Delivery.KAFKA,
  };
}

async function subscribe(
  service: RunningService,
  agency: string,
  scope: { provinceCodes?: string[] },
): Promise<string> {
  const { subscription } = await service.requester.requestSubscription({
    agency,
    agencyName: `Benchmark ${agency}`,
    purpose: 'benchmark-purpose',
    purposeDescription: 'measuring the back-fill',
    legalBasis: 'none: a benchmark',
    terms: terms(scope),
  });
  return subscription!.subscriptionId;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 3_600_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(250);
  }
}

interface BackfillFigures {
  readonly sql: { ms: number; rows: number };
  readonly node: { ms: number; rows: number };
  readonly ours: { ms: number; rows: number; cpuUs: number };
  readonly delivery: { ms: number; citizens: number; records: number };
  readonly seedMs: number;
}

async function backfillBench(
  broker: KafkaBroker,
  admin: pg.Client,
  trust: BenchTrust,
): Promise<BackfillFigures> {
  const database = await createTestDatabase('bench_ds_backfill');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const service = await startService(
    {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: broker.bootstrapServers.join(','),
      KAFKA_IDEMPOTENT: 'false',
      DATA_SHARING_BACKFILL_BATCH_SIZE: String(BATCH),
    },
    trust,
  );
  try {
    const seeded = performance.now();
    await seedCitizens(client, CITIZENS);
    const seedMs = performance.now() - seeded;
    log(`seeded ${count(CITIZENS)} citizens in ${(seedMs / 1000).toFixed(1)} s`);
    await admin.query('CHECKPOINT');
    const sql = await insertSelect(client);
    log(`INSERT … SELECT: ${count(sql.rows)} rows in ${(sql.ms / 1000).toFixed(1)} s`);
    await admin.query('CHECKPOINT');
    const node = await nodeAndPg(client, BATCH);
    log(`Node + pg: ${count(node.rows)} rows in ${(node.ms / 1000).toFixed(1)} s`);
    await admin.query('CHECKPOINT');

    // Ours. The agency's topics are not provisioned, so nothing is published: the back-fill alone.
    const id = await subscribe(service, 'bench', {});
    const cpuBefore = service.cpuUs();
    const started = performance.now();
    await service.approver.approveSubscription({ subscriptionId: id });
    // Polled in SQL: GetSubscription counts the agency's delivery queue, which grows to a million
    // rows here, and a count every quarter of a second would slow the very back-fill measured.
    const backfillDone = (agency: string) => async () =>
      (await client.query<{ done: boolean }>('SELECT done FROM ds_backfills WHERE agency = $1', [agency]))
        .rows[0]?.done === true;
    await until('the back-fill', backfillDone('bench'));
    const oursMs = performance.now() - started;
    const cpuUs = service.cpuUs() - cpuBefore;
    const [{ n }] = (
      await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ds_agency_views WHERE agency = 'bench'`,
      )
    ).rows as [{ n: string }];
    log(`ours: ${count(Number(n))} views in ${(oursMs / 1000).toFixed(1)} s`);
    if (Number(n) !== sql.rows) throw new Error(`the back-fill made ${n} views, the baseline ${sql.rows}`);

    // A one-province agency whose topics exist: back-fill and delivery until all is on its topics.
    await admin.query('CHECKPOINT');
    const deliveryId = await subscribe(service, 'bench-delivery', { provinceCodes: ['048'] });
    const deliveredFrom = performance.now();
    await service.approver.approveSubscription({ subscriptionId: deliveryId });
    await until(
      'delivery',
      async () =>
        (await backfillDone('bench-delivery')()) &&
        (await client.query(`SELECT 1 FROM ds_delivery_queue WHERE agency = 'bench-delivery' LIMIT 1`)).rows
          .length === 0,
    );
    const deliveryMs = performance.now() - deliveredFrom;
    const transport = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'bench-check',
      idempotent: false,
    });
    let records = 0n;
    for (const t of partnerTopicsOf('bench-delivery'))
      for (const o of (await transport.endOffsets(t.name)).values()) records += o;
    await transport.close();
    const [{ d }] = (
      await client.query<{ d: string }>(
        `SELECT count(*)::text AS d FROM ds_agency_views WHERE agency = 'bench-delivery'`,
      )
    ).rows as [{ d: string }];
    log(`delivery: ${d} citizens, ${records} records in ${(deliveryMs / 1000).toFixed(1)} s`);
    return {
      sql,
      node,
      ours: { ms: oursMs, rows: Number(n), cpuUs },
      delivery: { ms: deliveryMs, citizens: Number(d), records: Number(records) },
      seedMs,
    };
  } finally {
    await service.stop();
    await client.end();
    await database.drop();
  }
}

interface LatencyFigures {
  readonly ours: LatencyRun[];
  readonly raw: LatencyRun[];
}

async function latencyBench(broker: KafkaBroker, trust: BenchTrust): Promise<LatencyFigures> {
  const database = await createTestDatabase('bench_ds_latency');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const recordedAt = async (changes: readonly { citizenId: string; version: number }[]) => {
    const { rows } = await client.query<{ ms: string | null }>(
      `SELECT (SELECT extract(epoch FROM e.recorded_at) * 1000 FROM es_events e
               WHERE e.stream_id = 'citizen-' || c.id AND e.event_type = 'RegistryRecordReceived'
                 AND (e.data->>'recordVersion')::int = c.version LIMIT 1)::text AS ms
       FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS c(id, version, n) ORDER BY c.n`,
      [changes.map((c) => c.citizenId), changes.map((c) => c.version)],
    );
    return rows.map((r) => (r.ms === null ? undefined : Number(r.ms)));
  };
  const service = await startService(
    {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: broker.bootstrapServers.join(','),
      KAFKA_IDEMPOTENT: 'false',
      KAFKA_MAX_WAIT_MS: String(MAX_WAIT_MS),
    },
    trust,
  );
  try {
    const citizens = Array.from({ length: LATENCY_CITIZENS }, () => randomUUID());
    const versions = new Map<string, number>();
    const transport = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'bench-seed',
      idempotent: false,
    });
    for (let i = 0; i < citizens.length; i += 200) {
      await transport.publish(citizens.slice(i, i + 200).map((id, j) => registryChange(id, 1, i + j)));
    }
    for (const id of citizens) versions.set(id, 1);
    await transport.close();
    const id = await subscribe(service, 'bench-latency', {});
    await service.approver.approveSubscription({ subscriptionId: id });
    await until('the registrations to be delivered', async () => {
      const s = (await service.operations.getProjectionStatus({})).citizens;
      const sub = (await service.approver.getSubscription({ subscriptionId: id })).subscription!;
      return (
        s === BigInt(LATENCY_CITIZENS) && sub.deliveryState?.queued === 0n && sub.deliveryState.backfillDone
      );
    });
    // The back-fill may have run before the last registrations were projected: they follow live.
    await sleep(2_000);
    const ours: LatencyRun[] = [];
    const raw: LatencyRun[] = [];
    let seq = 1_000_000;
    for (const [i, rate] of RATES.entries()) {
      const runs = [
        async () => {
          const run = await pipelineLatency({
            brokers: broker.bootstrapServers,
            agency: 'bench-latency',
            citizens,
            versions,
            rate,
            seconds: LOAD_SECONDS,
            warmupSeconds: 2,
            maxWaitMs: MAX_WAIT_MS,
            firstSeq: seq,
            recordedAt,
          });
          seq += 1_000_000;
          ours.push(run);
          log(
            `ours at ${rate}/s: ${run.samples.length}/${run.sent} p50 ${ms(percentile(run.samples, 0.5))} ms p99 ${ms(percentile(run.samples, 0.99))} ms`,
          );
        },
        async () => {
          const run = await rawLatency({
            brokers: broker.bootstrapServers,
            topic: RAW_TOPIC,
            rate,
            seconds: LOAD_SECONDS,
            warmupSeconds: 2,
            maxWaitMs: MAX_WAIT_MS,
          });
          raw.push(run);
          log(
            `raw at ${rate}/s: p50 ${ms(percentile(run.samples, 0.5))} ms p99 ${ms(percentile(run.samples, 0.99))} ms`,
          );
        },
      ];
      for (const run of i % 2 === 0 ? runs : [...runs].reverse()) await run();
    }
    return { ours, raw };
  } finally {
    await service.stop();
    await client.end();
    await database.drop();
  }
}

function backfillTable(f: BackfillFigures): string {
  const rate = (x: { ms: number; rows: number }) => (x.rows * 1000) / x.ms;
  const lines = [
    '| Path | Citizens in the view | Seconds | Citizens/s | vs INSERT … SELECT | vs Node + pg |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rows: [string, { ms: number; rows: number }][] = [
    ['Cancuoc back-fill (disclose, Protobuf, diff, view row, queue; resumable batches of 1,000)', f.ours],
    ['raw SQL: one INSERT … SELECT of the same fields as jsonb', f.sql],
    ['raw Node + pg: same Protobuf, multi-row INSERT per batch of 1,000', f.node],
  ];
  for (const [label, x] of rows) {
    lines.push(
      `| ${label} | ${count(x.rows)} | ${(x.ms / 1000).toFixed(1)} | ${count(rate(x))} | ` +
        `${(rate(x) / rate(f.sql)).toFixed(2)}× | ${(rate(x) / rate(f.node)).toFixed(2)}× |`,
    );
  }
  lines.push(
    '',
    `Service CPU during the back-fill: ${count(f.ours.cpuUs / f.ours.rows)} µs per citizen. ` +
      `One-province agency with provisioned topics: ${count(f.delivery.citizens)} citizens back-filled and ` +
      `${count(f.delivery.records)} records on its two topics in ${(f.delivery.ms / 1000).toFixed(1)} s ` +
      `(${count((f.delivery.citizens * 1000) / f.delivery.ms)} citizens/s to Kafka).`,
  );
  return lines.join('\n');
}

function latencyTable(f: LatencyFigures): string {
  const lines = [
    '| Pipeline | Sent/s | Measured | Arrived | p50 ms | p95 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const row = (label: string, r: LatencyRun) =>
    lines.push(
      `| ${label} | ${r.rate} | ${count(r.sent)} | ${count(r.samples.length)} | ${ms(percentile(r.samples, 0.5))} | ` +
        `${ms(percentile(r.samples, 0.95))} | ${ms(percentile(r.samples, 0.99))} | ${ms(r.samples.at(-1) ?? Number.NaN)} |`,
    );
  for (let i = 0; i < f.ours.length; i++) {
    row('Cancuoc: registry topic → data sharing → agency topic', f.ours[i]!);
    row('raw kafkajs: send → eachMessage', f.raw[i]!);
  }
  lines.push(
    '',
    '| Cancuoc, split (p50 / p99 ms) | Sent/s | published → recorded (inbound consumer, inbox) | → sent to the agency topic (projection, view, publisher) | → in the agency’s consumer |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const r of f.ours) {
    const s = r.stages;
    if (!s) continue;
    const pair = (xs: number[]) => `${ms(percentile(xs, 0.5))} / ${ms(percentile(xs, 0.99))}`;
    lines.push(`| | ${r.rate} | ${pair(s.inbound)} | ${pair(s.project)} | ${pair(s.agency)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const admin = new pg.Client({
    connectionString: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await admin.connect();
  const broker = await startKafkaBroker({
    topics: [
      ...catalogueTopics(),
      ...[...partnerTopicsOf('bench-delivery'), ...partnerTopicsOf('bench-latency')].map((t) => ({
        name: t.name,
        partitions: t.partitions,
      })),
      { name: RAW_TOPIC, partitions: 6 },
    ],
    brokers: 1,
  });
  const trust = await BenchTrust.start();
  try {
    const description = await machine(admin);
    const backfill = ONLY === 'latency' ? undefined : await backfillBench(broker, admin, trust);
    const latency = ONLY === 'backfill' ? undefined : await latencyBench(broker, trust);
    process.stdout.write(
      [
        description,
        `Population: ${count(CITIZENS)} synthetic citizens written into the citizen projection, ` +
          `one in 33 dead; subscription: 6 fields, alive only, whole country; scale ${SCALE}. ` +
          `Order: INSERT … SELECT, Node + pg, ours (CHECKPOINT before each).`,
        `Latency: ${LATENCY_CITIZENS} citizens registered first; each change a new name for one of them; ${LOAD_SECONDS} s measured after 2 s of warm-up; ` +
          `consumers' fetch wait ${MAX_WAIT_MS} ms (data sharing's inbound consumer too: KAFKA_MAX_WAIT_MS) — the mock broker answers an empty fetch only when the wait is over.`,
        `Run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s`,
        '',
        backfill ? backfillTable(backfill) : '',
        '',
        latency ? latencyTable(latency) : '',
        '',
      ].join('\n'),
    );
  } finally {
    await trust.stop();
    await broker.stop();
    await admin.end();
  }
}

await main();
