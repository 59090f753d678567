/**
 * Event store benchmark: our store against Emmett 0.42 and against raw `pg`, on the same PostgreSQL
 * in the same run, each system in a fresh database and a process of its own. Prints one markdown table.
 *
 *   tsc -b test/perf && node test/perf/dist/eventstore/bench.js
 *
 * BENCH_SCALE (default 1) multiplies every operation count, for a quicker or a steadier run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TEST_POSTGRES_URL } from '@cancuoc/testing';
import pg from 'pg';
import { payloadBytes } from './payload.js';
import { markdownTable, type Row } from './table.js';
import type { AppendSpec, Measurement, Request, Response, SystemName } from './workload.js';

const POOL_SIZE = 20;
const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
/** The log is topped up to this many events before it is read; the append rows write about as many. */
const READ_ALL_EVENTS = Math.round(65_000 * SCALE);
const PAGE_SIZE = 1000;
const SYSTEMS: readonly SystemName[] = ['ours', 'emmett', 'raw'];

type Op = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A system's worker process, answering one request at a time. */
class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  private readonly pending = new Map<
    number,
    { resolve(m: Measurement | null): void; reject(e: Error): void }
  >();
  private nextId = 0;

  constructor(readonly name: SystemName) {
    const script = fileURLToPath(new URL('./worker.js', import.meta.url));
    this.child = fork(script, [name, String(POOL_SIZE)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: Response) => {
        if (m.kind === 'ready') return resolve(m.database);
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

  request(op: Op): Promise<Measurement | null> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...op, id } as Request);
    });
  }
}

interface AppendRow {
  readonly workload: string;
  readonly tag: string;
  readonly writers: number;
  /** Appends of the whole row, over all writers and rounds. */
  readonly appends: number;
  readonly eventsPerAppend: number;
}

/**
 * Each row is measured in rounds, the systems taking turns within each, because this machine's
 * fsync latency drifts over minutes: one long run per system would compare the disk, not the stores.
 */
const ROUNDS = 8;

const APPEND_ROWS: readonly AppendRow[] = [
  { workload: '1 event per append, 1 writer', tag: 'a', writers: 1, appends: 5600, eventsPerAppend: 1 },
  { workload: '10 events per append, 1 writer', tag: 'b', writers: 1, appends: 2800, eventsPerAppend: 10 },
  {
    workload: 'concurrent writers: 1 (1 event per append)',
    tag: 'c',
    writers: 1,
    appends: 5600,
    eventsPerAppend: 1,
  },
  {
    workload: 'concurrent writers: 4 (1 event per append)',
    tag: 'd',
    writers: 4,
    appends: 8000,
    eventsPerAppend: 1,
  },
  {
    workload: 'concurrent writers: 16 (1 event per append)',
    tag: 'e',
    writers: 16,
    appends: 14400,
    eventsPerAppend: 1,
  },
];

function roundSpec(row: AppendRow, round: number): AppendSpec {
  const appendsPerWriter = Math.max(10, Math.round((row.appends * SCALE) / row.writers / ROUNDS));
  // Five appends per stream: a fifth of the appends create a stream, the rest extend one at its version.
  return {
    tag: `${row.tag}${round}`,
    writers: row.writers,
    appendsPerWriter,
    eventsPerAppend: row.eventsPerAppend,
    streamsPerWriter: Math.ceil(appendsPerWriter / 5),
  };
}

/** A tenth of a round, on streams of its own, before the row's first round. */
function warmupOf(spec: AppendSpec): AppendSpec {
  const appendsPerWriter = Math.max(10, Math.round(spec.appendsPerWriter / 10));
  return {
    ...spec,
    tag: `${spec.tag}warm`,
    appendsPerWriter,
    streamsPerWriter: Math.ceil(appendsPerWriter / 5),
  };
}

/** Flushes what the previous measurement left dirty, so that no system pays for another's writes. */
async function checkpoint(admin: pg.Client): Promise<void> {
  await admin.query('CHECKPOINT');
}

/** Each row runs its systems in a different order, so no system always follows the same one. */
function rotated(index: number): SystemName[] {
  return SYSTEMS.map((_, i) => SYSTEMS[(i + index) % SYSTEMS.length]!);
}

async function machine(admin: pg.Client): Promise<string> {
  const setting = async (name: string) =>
    (await admin.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v;
  const version = await setting('server_version');
  const cpu = cpus();
  return [
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), PostgreSQL ${version} ` +
      `(synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}, ` +
      `shared_buffers=${await setting('shared_buffers')}), Node ${process.version}`,
    `Payload: CitizenRegistered, ~${payloadBytes()} bytes of JSON, metadata actor + correlation id; ` +
      `pool size ${POOL_SIZE} for each system; each system in its own database and process; ` +
      `each append row in ${ROUNDS} interleaved rounds after a warm-up; scale ${SCALE}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'bench-admin' });
  await admin.connect();
  const workers = new Map(SYSTEMS.map((name) => [name, new Worker(name)]));
  const databases: string[] = [];
  const startedAt = performance.now();
  try {
    for (const worker of workers.values()) databases.push(await worker.ready);
    const header = await machine(admin);
    const rows: Row[] = [];

    for (const [index, row] of APPEND_ROWS.entries()) {
      const perRound = Object.fromEntries(SYSTEMS.map((s) => [s, [] as number[]])) as Record<
        SystemName,
        number[]
      >;
      const totals = Object.fromEntries(
        SYSTEMS.map((s) => [s, { ms: 0, appends: 0, events: 0, cpuUs: 0 }]),
      ) as Record<SystemName, { ms: number; appends: number; events: number; cpuUs: number }>;
      for (let round = 0; round < ROUNDS; round++) {
        const spec = roundSpec(row, round);
        for (const name of rotated(index + round)) {
          await checkpoint(admin);
          const warmup = round === 0 ? warmupOf(spec) : null;
          const m = (await workers.get(name)!.request({ op: 'append', spec, warmup }))!;
          totals[name].ms += m.ms;
          totals[name].appends += m.appends;
          totals[name].events += m.events;
          totals[name].cpuUs += m.cpuUs;
          perRound[name].push((m.appends * 1000) / m.ms);
        }
      }
      const per = (of: (t: Measurement) => number) =>
        Object.fromEntries(SYSTEMS.map((s) => [s, (of(totals[s]) * 1000) / totals[s].ms])) as Record<
          SystemName,
          number
        >;
      rows.push({ workload: row.workload, metric: 'appends/s', rates: per((t) => t.appends) });
      if (row.eventsPerAppend > 1)
        rows.push({ workload: row.workload, metric: 'events/s', rates: per((t) => t.events) });
      const detail = SYSTEMS.map((s) => `${s} ${perRound[s].map((r) => r.toFixed(0)).join(' ')}`).join(' | ');
      const cpu = SYSTEMS.map((s) => `${s} ${(totals[s].cpuUs / totals[s].appends).toFixed(0)}`).join(', ');
      process.stderr.write(
        `  ${row.workload}\n    appends/s per round: ${detail}\n    Node CPU µs/append: ${cpu}\n`,
      );
    }

    const reads = {} as Record<SystemName, number>;
    const notes: string[] = [];
    let logSize = 0;
    for (const name of SYSTEMS)
      await workers.get(name)!.request({ op: 'fill', totalEvents: READ_ALL_EVENTS });
    for (const name of rotated(APPEND_ROWS.length)) {
      await checkpoint(admin);
      const m = (await workers.get(name)!.request({ op: 'readAll', pageSize: PAGE_SIZE, warmupPages: 5 }))!;
      reads[name] = (m.events * 1000) / m.ms;
      logSize = m.logSize ?? 0;
      process.stderr.write(
        `  read-all: ${name} ${m.events} events in ${m.ms.toFixed(0)} ms, Node CPU ${(m.cpuUs / 1000).toFixed(0)} ms\n`,
      );
      if (m.events !== m.logSize) {
        notes.push(
          `${name} read ${m.events.toLocaleString('en-US')} events from a log of ${m.logSize?.toLocaleString('en-US')}.`,
        );
      }
    }
    rows.push({
      workload: `read-all catch-up of ${logSize.toLocaleString('en-US')} events, pages of ${PAGE_SIZE}`,
      metric: 'events/s',
      rates: reads,
    });

    console.log(header);
    console.log(`Run time: ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`);
    console.log(markdownTable(rows));
    if (notes.length > 0) console.log(`\nRead-all miscount: ${notes.join(' ')}`);
    if (notes.some((n) => !n.startsWith('emmett'))) process.exitCode = 1;

    for (const worker of workers.values()) await worker.request({ op: 'close' });
    databases.length = 0;
  } finally {
    for (const worker of workers.values()) {
      if (worker.child.exitCode === null && worker.child.pid !== undefined) worker.child.kill();
    }
    // A worker that failed may have left its database behind.
    for (const name of databases) {
      if (/^[a-z0-9_]+$/.test(name)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
