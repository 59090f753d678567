/**
 * Registry import benchmark, two parts, each beside a baseline measured in the same run:
 *
 * (a) Bulk import: the import CLI (`services/registry/dist/import/cli.js`, CSV parsing, the citizen
 *     decider, duplicate and parent resolution, resumable progress) registering a synthetic
 *     population into PostgreSQL, against `pg` alone writing the same rows' events into the same
 *     tables (multi-row INSERT, and COPY), with the same batches and transactions in flight.
 * (b) GetCitizen through the registry's gRPC server (`services/registry/dist/main.js`: PostgreSQL,
 *     Redis cache; server mode, so mutual TLS and a clerk's token from the test OpenID provider)
 *     under concurrent callers, against a raw `SELECT` of the same record by id.
 *
 *   tsc -b test/perf && node test/perf/dist/registry-import/bench.js
 *
 * BENCH_SCALE (default 1) multiplies the population (200,000) and the load duration (20 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeClient, createClient } from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import { RegistryService } from '@cancuoc/proto';
import { TEST_REDIS_URL, createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { POPULATION_COLUMNS, csvLine, generatePopulation, type PopulationRow } from '@cancuoc/synthetic';
import { measureLatency, type CpuProbe, type LatencyResult } from './latency.js';
import { RAW_SCHEMA, writeRaw, type RawMethod } from './raw.js';
import { BENCH_CLERK, BenchTrust } from '../support/trust.js';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const CITIZENS = Math.round(200_000 * SCALE);
/** The population is imported in parts, the systems taking turns, because this VM's disk drifts. */
const PARTS = 4;
const BATCH_SIZE = 1_000;
const CONCURRENCY = 4;
const CALLERS = 8;
const LOAD_SECONDS = Math.max(3, Math.round(20 * SCALE));
const GOAL_PER_SECOND = 10_000;
const REDIS_DB = 9;

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(root, 'services/registry/dist/import/cli.js');
const MAIN = join(root, 'services/registry/dist/main.js');

type System = 'ours' | RawMethod;
const SYSTEMS: readonly System[] = ['ours', 'insert', 'copy'];
const LABEL: Record<System, string> = {
  ours: 'Cancuoc import CLI (CSV → decider → claims → streams, resumable)',
  insert: 'raw pg: multi-row INSERT … unnest of the same events',
  copy: 'raw pg: COPY of the same events',
};

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const log = (line: string) => process.stderr.write(`  ${line}\n`);

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${command} exited with ${code}:\n${stderr}`);
    return { stdout, ms: performance.now() - started };
  });
}

async function machine(admin: pg.Client): Promise<string> {
  const setting = async (name: string) =>
    (await admin.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;
  const cpu = cpus();
  return (
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), PostgreSQL ${await setting('server_version')} ` +
    `(synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}, ` +
    `shared_buffers=${await setting('shared_buffers')}), Node ${process.version}`
  );
}

async function writeParts(dir: string, rows: readonly PopulationRow[]): Promise<string[]> {
  const size = Math.ceil(rows.length / PARTS);
  const files: string[] = [];
  for (let p = 0; p < PARTS; p++) {
    const file = join(dir, `population-${p + 1}.csv`);
    const part = rows.slice(p * size, (p + 1) * size);
    await writeFile(file, `${POPULATION_COLUMNS.join(',')}\n${part.map(csvLine).join('')}`);
    files.push(file);
  }
  return files;
}

interface ImportFigures {
  ms: number;
  rows: number;
}

async function importBench(
  admin: pg.Client,
  databases: Record<System, TestDatabase>,
  rows: readonly PopulationRow[],
  files: readonly string[],
  today: CalendarDate,
): Promise<Record<System, ImportFigures>> {
  const totals = Object.fromEntries(SYSTEMS.map((s) => [s, { ms: 0, rows: 0 }])) as Record<
    System,
    ImportFigures
  >;
  const pools = {
    insert: new pg.Pool({ connectionString: databases.insert.url, max: CONCURRENCY }),
    copy: new pg.Pool({ connectionString: databases.copy.url, max: CONCURRENCY }),
  };
  const ids = { insert: new Map<string, string>(), copy: new Map<string, string>() };
  try {
    for (const method of ['insert', 'copy'] as const) await pools[method].query(RAW_SCHEMA);
    const size = Math.ceil(rows.length / PARTS);
    for (const [p, file] of files.entries()) {
      const part = rows.slice(p * size, (p + 1) * size);
      for (const system of SYSTEMS.map((_, i) => SYSTEMS[(i + p) % SYSTEMS.length]!)) {
        await admin.query('CHECKPOINT');
        let ms: number;
        if (system === 'ours') {
          const cli = await run(CLI, [
            '--database-url',
            databases.ours.url,
            '--file',
            file,
            '--import-id',
            `bench-part-${p + 1}`,
            '--batch-size',
            String(BATCH_SIZE),
            '--concurrency',
            String(CONCURRENCY),
            '--json',
            ...(p === 0 ? ['--migrate'] : []),
          ]);
          const summary = JSON.parse(cli.stdout) as { accepted: number; rejected: number; elapsedMs: number };
          if (summary.accepted !== part.length) {
            throw new Error(
              `the import registered ${summary.accepted} of ${part.length} (${summary.rejected} rejected)`,
            );
          }
          ms = summary.elapsedMs;
          log(
            `part ${p + 1} ours: ${count(part.length)} rows in ${ms.toFixed(0)} ms (process ${cli.ms.toFixed(0)} ms)`,
          );
        } else {
          ms = await writeRaw(pools[system], part, {
            method: system,
            batchSize: BATCH_SIZE,
            concurrency: CONCURRENCY,
            today: today.toString(),
            ids: ids[system],
          });
          log(`part ${p + 1} ${system}: ${count(part.length)} rows in ${ms.toFixed(0)} ms`);
        }
        totals[system].ms += ms;
        totals[system].rows += part.length;
      }
    }
  } finally {
    await pools.insert.end();
    await pools.copy.end();
  }
  return totals;
}

/** What each system wrote, so the comparison is of like with like. */
async function written(database: TestDatabase): Promise<string> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; bytes: string; ids: string; parents: string }>(
      `SELECT count(*)::text AS events, round(avg(pg_column_size(data)))::text AS bytes,
              (SELECT count(*) FROM reg_personal_ids)::text AS ids,
              count(*) FILTER (WHERE data->>'fatherCitizenId' IS NOT NULL OR data->>'motherCitizenId' IS NOT NULL)::text AS parents
       FROM es_events`,
    );
    const r = rows[0]!;
    return `${count(Number(r.ids))} numbers, ${count(Number(r.events))} events (avg ${r.bytes} B of jsonb), ${count(Number(r.parents))} naming parents`;
  } finally {
    await client.end();
  }
}

interface RunningServer {
  readonly port: number;
  readonly child: ChildProcess;
}

async function startServer(databaseUrl: string, trust: BenchTrust): Promise<RunningServer> {
  const redis = new URL(TEST_REDIS_URL);
  redis.pathname = `/${REDIS_DB}`;
  const child = spawn(process.execPath, [MAIN, '--migrate'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.toString(),
      ...(await trust.serviceEnv('registry')),
      REGISTRY_GRPC_HOST: '127.0.0.1',
      REGISTRY_GRPC_PORT: '0',
    },
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const started = /"msg":"registry started","port":(\d+)/.exec(out);
      if (started) resolve(Number(started[1]));
    });
    child.on('exit', (code) => reject(new Error(`the registry exited with ${code}: ${out}`)));
  });
  return { port, child };
}

/** Waits until the projection and the relay have read every event; returns the ms it took. */
async function caughtUp(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await client.query<{ done: string }>(
        `WITH head AS (SELECT transaction_id, global_position FROM es_events
                       ORDER BY transaction_id DESC, global_position DESC LIMIT 1)
         SELECT count(*)::text AS done FROM es_subscriptions s, head h
         WHERE s.subscription_id IN ('registry-citizens', 'registry-relay')
           AND (s.transaction_id, s.global_position) >= (h.transaction_id, h.global_position)`,
      );
      if (rows[0]!.done === '2') return performance.now() - started;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.end();
  }
}

/** This process's CPU time. */
const clientCpu: CpuProbe = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Another process's CPU time, from /proc (Linux; USER_HZ is 100 there). */
function processCpu(pid: number): CpuProbe {
  return () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  };
}

interface LatencyRow {
  readonly workload: string;
  readonly path: string;
  readonly result: LatencyResult;
}

async function latencyBench(
  databaseUrl: string,
  rows: readonly PopulationRow[],
): Promise<{
  rows: LatencyRow[];
  catchUpMs: number;
}> {
  const trust = await BenchTrust.start();
  const server = await startServer(databaseUrl, trust);
  const clerk = await trust.caller(BENCH_CLERK);
  const client = createClient(RegistryService, `127.0.0.1:${server.port}`, {
    credentials: clerk.credentials,
    metadata: clerk.metadata('registry'),
    defaultTimeoutMs: 10_000,
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: CALLERS });
  try {
    const catchUpMs = await caughtUp(databaseUrl);
    log(
      `projection and relay caught up with ${count(rows.length)} records in ${(catchUpMs / 1000).toFixed(1)} s`,
    );
    const sample = rows[rows.length >> 1]!;
    const check = await client.getCitizen({ personalId: sample.personal_id, purpose: 'benchmark' });
    if (check.citizen?.givenName !== sample.given_name) throw new Error('GetCitizen returned another record');
    const ids = rows.map((r) => r.personal_id);
    const hot = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 1_000)) === 0).slice(0, 1_000);
    const pick = (from: readonly string[]) => from[Math.floor(Math.random() * from.length)]!;
    const grpc = (from: readonly string[]) => () =>
      client.getCitizen({ personalId: pick(from), purpose: 'benchmark' });
    const select = (from: readonly string[]) => () =>
      pool.query('SELECT record FROM reg_citizens WHERE personal_id = $1', [pick(from)]);
    const workloads = [
      { workload: `any of ${count(ids.length)} citizens (cache mostly cold)`, from: ids },
      { workload: `1,000 hot citizens (cache warm)`, from: hot },
    ];
    const results: LatencyRow[] = [];
    for (const [i, { workload, from }] of workloads.entries()) {
      const serverCpu = processCpu(server.child.pid!);
      const paths: { path: string; call: () => Promise<unknown>; probes: Record<string, CpuProbe> }[] = [
        {
          path: 'GetCitizen over gRPC (registry server, Redis cache)',
          call: grpc(from),
          probes: { client: clientCpu, server: serverCpu },
        },
        {
          path: 'raw pg: SELECT record FROM reg_citizens WHERE personal_id = $1',
          call: select(from),
          probes: { client: clientCpu },
        },
      ];
      for (const { path, call, probes } of i % 2 === 0 ? paths : [...paths].reverse()) {
        const result = await measureLatency(CALLERS, LOAD_SECONDS, call, probes);
        log(
          `${workload} · ${path}: ${count(result.callsPerSecond)}/s p50 ${result.p50Ms.toFixed(2)} ms p99 ${result.p99Ms.toFixed(2)} ms`,
        );
        results.push({ workload, path, result });
      }
    }
    return { rows: results, catchUpMs };
  } finally {
    closeClient(client);
    await pool.end();
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await exited;
    await trust.stop();
    await forgetCache();
  }
}

/** Deletes the records the server cached in its Redis database. */
async function forgetCache(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { db: REDIS_DB, maxRetriesPerRequest: 1 });
  try {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'registry:citizen:*', 'COUNT', 1_000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

function importTable(totals: Record<System, ImportFigures>): string {
  const rate = (s: System) => (totals[s].rows * 1000) / totals[s].ms;
  const lines = [
    '| Path | Citizens | Seconds | Citizens/s | vs raw INSERT | vs raw COPY |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of SYSTEMS) {
    lines.push(
      `| ${LABEL[s]} | ${count(totals[s].rows)} | ${(totals[s].ms / 1000).toFixed(1)} | ${count(rate(s))} | ` +
        `${(rate(s) / rate('insert')).toFixed(2)}× | ${(rate(s) / rate('copy')).toFixed(2)}× |`,
    );
  }
  const ours = rate('ours');
  lines.push(
    '',
    `Goal ≥ ${count(GOAL_PER_SECOND)} citizens/s: ${ours >= GOAL_PER_SECOND ? 'met' : 'MISSED'} (${count(ours)}/s).`,
  );
  return lines.join('\n');
}

function latencyTable(rows: readonly LatencyRow[]): string {
  const lines = [
    `| Workload (${CALLERS} concurrent callers, ${LOAD_SECONDS} s) | Path | Calls/s | p50 ms | p99 ms | max ms | ` +
      'Caller CPU µs/call | Server CPU µs/call |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const cpu = (us: number | undefined) => (us === undefined ? '—' : count(us));
  for (const { workload, path, result: r } of rows) {
    lines.push(
      `| ${workload} | ${path} | ${count(r.callsPerSecond)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
        `${r.maxMs.toFixed(1)} | ${cpu(r.cpuUsPerCall['client'])} | ${cpu(r.cpuUsPerCall['server'])} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const admin = new pg.Client({
    connectionString: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await admin.connect();
  const dir = await mkdtemp(join(tmpdir(), 'bench-registry-import-'));
  const databases: Partial<Record<System, TestDatabase>> = {};
  try {
    const today = CalendarDate.fromInstant(new Date());
    const rows = [...generatePopulation({ count: CITIZENS, seed: 7, today })];
    const files = await writeParts(dir, rows);
    const withParents = rows.filter((r) => r.father_personal_id || r.mother_personal_id).length;
    for (const s of SYSTEMS) databases[s] = await createTestDatabase(`bench_import_${s}`);
    const all = databases as Record<System, TestDatabase>;

    const totals = await importBench(admin, all, rows, files, today);
    const contents = await Promise.all(SYSTEMS.map(async (s) => `${s}: ${await written(all[s])}`));
    const latency = await latencyBench(all.ours.url, rows);

    console.log(await machine(admin));
    console.log(
      `Population: ${count(rows.length)} synthetic citizens (seed 7, ${count(withParents)} with parents on earlier rows), ` +
        `CSV in ${PARTS} parts imported in turn by each path into its own database; batches of ${count(BATCH_SIZE)} ` +
        `rows, ${CONCURRENCY} transactions in flight for every path; scale ${SCALE}.`,
    );
    console.log(`Written: ${contents.join('; ')}.`);
    console.log(`Run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`);
    console.log(importTable(totals));
    console.log(
      `\nAfter the import the registry server's projection and relay caught up with the ${count(rows.length)} ` +
        `records in ${(latency.catchUpMs / 1000).toFixed(1)} s; then:\n`,
    );
    console.log(latencyTable(latency.rows));
  } finally {
    for (const db of Object.values(databases)) await db.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
