/**
 * The whole path of a card, end to end, for N citizens — `runDemo`, what `cancuoc demo` runs:
 * registered, enrolled with a face and ten prints, duplicate-checked, approved, personalised,
 * encoded by station simulators, checked, shipped, delivered, activated, and in the agency's view —
 * in server mode (four service processes, PostgreSQL, Redis, the Kafka-protocol test broker, mutual
 * TLS, an OpenID provider) and embedded (`cancuoc start`, one process on PGlite), at each
 * concurrency of a sweep, each on a fresh platform. Prints markdown tables: citizens/s; CPU ms per
 * citizen per service and resident memory (Linux process accounting, /proc); time in each stage,
 * p50/p99, from the event stores' recorded times; idle CPU per service over a window after the
 * last run; and, in server mode, the floor: the same commits per citizen and Kafka records per
 * citizen done with raw `pg` and a raw kafkajs producer at the same concurrency.
 *
 *   npm run bench:pipeline
 *   node test/perf/dist/pipeline/bench.js --citizens 60 --concurrency 8,24 --modes server --idle-seconds 20
 *
 * BENCH_SCALE (default 1) multiplies the citizens per run and the idle window.
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runDemo, SERVICES, type DemoResult, type ServiceName } from '@cancuoc/platform';
import { TEST_POSTGRES_URL } from '@cancuoc/testing';
import { BenchTrust } from '../support/trust.js';
import { startEmbeddedPlatform } from './embedded.js';
import { measureFloor } from './floor.js';
import { CpuMeter, memory, wakeUps } from './process-stats.js';
import { stageLatencies } from './stages.js';
import { startServerPlatform, provisionedTopics } from './server.js';
import {
  commitsTable,
  cpuTable,
  idleTable,
  memoryTable,
  stageTable,
  throughputTable,
  type Mode,
  type PointResult,
} from './table.js';

/** The pause between a run's end and the idle window (longer than PostgreSQL's 10 s stats flush). */
const IDLE_SETTLE_MS = 12_000;

const USAGE = `Usage: node test/perf/dist/pipeline/bench.js [options]
  --citizens N          citizens per run (default 120 × BENCH_SCALE)
  --concurrency LIST    citizens in flight, one run each (default 8,24,48)
  --modes LIST          server, embedded or both (default server,embedded)
  --stations N          encoding stations the demo runs (default 4)
  --idle-seconds S      idle window after each mode's last run (default 60 × BENCH_SCALE; 0: none)
  --kafka-max-wait-ms MS  the services' consumer fetch wait in server mode (default 50: the mock
                        broker holds an empty fetch for the whole wait even when records arrive,
                        which a real broker does not; idle, each consumer fetches 1000/MS times a
                        second, so judge the idle goal at the services' own default, 500)
`;

interface Options {
  readonly citizens: number;
  readonly concurrency: readonly number[];
  readonly modes: readonly Mode[];
  readonly stations: number;
  readonly idleSeconds: number;
  readonly kafkaMaxWaitMs: number;
}

/** Parses the command line (exported for a smoke check of the parsing). */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      citizens: { type: 'string' },
      concurrency: { type: 'string' },
      modes: { type: 'string' },
      stations: { type: 'string' },
      'idle-seconds': { type: 'string' },
      'kafka-max-wait-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const scale = Number(env['BENCH_SCALE'] ?? 1);
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, not ${env['BENCH_SCALE']}`);
  const count = (name: string, raw: string | undefined, fallback: number, min: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return value;
  };
  const concurrency = (values.concurrency ?? '8,24,48')
    .split(',')
    .map((c) => count('concurrency', c.trim(), 0, 1));
  const modes = (values.modes ?? 'server,embedded').split(',').map((m) => m.trim());
  for (const mode of modes)
    if (mode !== 'server' && mode !== 'embedded') throw new Error(`--modes: server or embedded, not ${mode}`);
  return {
    citizens: count('citizens', values.citizens, Math.max(4, Math.round(120 * scale)), 1),
    concurrency,
    modes: modes as Mode[],
    stations: count('stations', values.stations, 4, 1),
    idleSeconds: count('idle-seconds', values['idle-seconds'], Math.round(60 * scale), 0),
    kafkaMaxWaitMs: count('kafka-max-wait-ms', values['kafka-max-wait-ms'], 50, 1),
  };
}

const say = (line: string) => process.stderr.write(`  ${line}\n`);
const seedOf = (mode: Mode, concurrency: number) => (mode === 'server' ? 1_000 : 2_000) + concurrency;

function demoOptions(options: Options, mode: Mode, concurrency: number) {
  return {
    citizens: options.citizens,
    seed: seedOf(mode, concurrency),
    concurrency,
    stations: options.stations,
    timeoutMs: 600_000,
  };
}

/** Every citizen went the whole way, or was blocked by the register's flag (as the demo allows). */
function check(result: DemoResult, options: Options): void {
  const blocked = [...result.blocked.values()].reduce((a, b) => a + b, 0);
  if (result.citizens.length + blocked !== options.citizens)
    throw new Error(`only ${result.citizens.length} of ${options.citizens} citizens went the whole way`);
  if (blocked > 0) say(`${blocked} blocked at enrollment by the register's flag: left out of the figures`);
}

async function serverPoint(
  trust: BenchTrust,
  options: Options,
  concurrency: number,
  idle: boolean,
): Promise<PointResult> {
  const platform = await startServerPlatform(trust, {
    citizens: options.citizens,
    stations: options.stations,
    kafkaMaxWaitMs: options.kafkaMaxWaitMs,
  });
  try {
    const pids = new Map<string, number>(platform.pids);
    const others = new Map<string, number>([
      ['Kafka broker (mock)', platform.broker.pid],
      ['bench (demo, stations, OIDC provider)', process.pid],
    ]);
    const startMemory = new Map([...pids].map(([name, pid]) => [name, memory(pid)]));
    const commitsBefore = await platform.commits();
    const recordsBefore = await platform.records();
    const meter = new CpuMeter(pids).start();
    const otherMeter = new CpuMeter(others).start();
    const result = await runDemo(platform.connection, demoOptions(options, 'server', concurrency));
    const cpuMs = meter.read();
    const otherCpuMs = otherMeter.read();
    check(result, options);
    say(
      `server ×${concurrency}: ${result.citizens.length} citizens in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    const memoryAfter = new Map([...pids].map(([name, pid]) => [name, memory(pid)]));
    let idleResult: PointResult['idle'];
    let idleCommits = new Map<ServiceName, number>();
    if (idle) {
      // What the run left in flight settles, and the services' idle connections report the run's
      // last commits: PostgreSQL 15 flushes a session's statistics up to 10 s after it went idle,
      // which would otherwise count as idle commits.
      await sleep(IDLE_SETTLE_MS);
      const commitsAtStart = await platform.commits();
      const idleMeter = new CpuMeter(new Map([...pids, ...others])).start();
      const wakeUpsAtStart = new Map([...pids].map(([name, pid]) => [name, wakeUps(pid)]));
      await sleep(options.idleSeconds * 1000);
      const used = idleMeter.read();
      const woken = new Map([...pids].map(([name, pid]) => [name, wakeUps(pid) - wakeUpsAtStart.get(name)!]));
      const commitsAtEnd = await platform.commits();
      idleCommits = new Map(SERVICES.map((s) => [s, commitsAtEnd.get(s)! - commitsAtStart.get(s)!]));
      idleResult = {
        seconds: options.idleSeconds,
        cpuPercent: new Map([...used].map(([name, ms]) => [name, ms / (options.idleSeconds * 10)])),
        commitsPerSecond: new Map([...idleCommits].map(([s, n]) => [s, n / options.idleSeconds])),
        wakeUpsPerSecond: new Map([...woken].map(([name, n]) => [name, n / options.idleSeconds])),
      };
    }
    // Stopped, the services' connections flush their statistics: exact commit counts.
    await platform.stopServices();
    const commitsAfter = await platform.commits();
    const records = (await platform.records()) - recordsBefore;
    const commits = new Map(
      SERVICES.map((s) => [s, commitsAfter.get(s)! - commitsBefore.get(s)! - (idleCommits.get(s) ?? 0)]),
    );
    const stages = await stageLatencies(
      new Map([...platform.databases].map(([s, db]) => [s, { databaseUrl: db.url }])),
      result,
    );
    const floor = await measureFloor({
      citizens: result.citizens.length,
      concurrency,
      commits: [...commits.values()].reduce((a, b) => a + b, 0),
      records,
      brokers: platform.broker.bootstrapServers,
      topic: provisionedTopics()[0]!.name,
    });
    say(`server ×${concurrency}: floor ${(floor.ms / 1000).toFixed(2)} s`);
    return {
      mode: 'server',
      concurrency,
      citizens: result.citizens.length,
      elapsedMs: result.elapsedMs,
      cpuMs,
      otherCpuMs,
      memory: new Map(
        [...pids.keys()].map((name) => [
          name,
          {
            startMb: startMemory.get(name)!.rssMb,
            afterMb: memoryAfter.get(name)!.rssMb,
            peakMb: memoryAfter.get(name)!.peakMb,
          },
        ]),
      ),
      commits,
      records,
      floor,
      stages,
      idle: idleResult,
    };
  } finally {
    await platform.dispose();
  }
}

const EMBEDDED = 'cancuoc start (all four)';

async function embeddedPoint(options: Options, concurrency: number, idle: boolean): Promise<PointResult> {
  const platform = await startEmbeddedPlatform();
  try {
    const pids = new Map([[EMBEDDED, platform.pid]]);
    const others = new Map([['bench (demo, stations)', process.pid]]);
    const startMemory = memory(platform.pid);
    const meter = new CpuMeter(pids).start();
    const otherMeter = new CpuMeter(others).start();
    const result = await runDemo(platform.connection, demoOptions(options, 'embedded', concurrency));
    const cpuMs = meter.read();
    const otherCpuMs = otherMeter.read();
    check(result, options);
    say(
      `embedded ×${concurrency}: ${result.citizens.length} citizens in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    const after = memory(platform.pid);
    let idleResult: PointResult['idle'];
    if (idle) {
      await sleep(IDLE_SETTLE_MS);
      const idleMeter = new CpuMeter(new Map([...pids, ...others])).start();
      const wakeUpsAtStart = new Map([...pids].map(([name, pid]) => [name, wakeUps(pid)]));
      await sleep(options.idleSeconds * 1000);
      const used = idleMeter.read();
      const woken = new Map([...pids].map(([name, pid]) => [name, wakeUps(pid) - wakeUpsAtStart.get(name)!]));
      idleResult = {
        seconds: options.idleSeconds,
        cpuPercent: new Map([...used].map(([name, ms]) => [name, ms / (options.idleSeconds * 10)])),
        wakeUpsPerSecond: new Map([...woken].map(([name, n]) => [name, n / options.idleSeconds])),
      };
    }
    await platform.stop();
    return {
      mode: 'embedded',
      concurrency,
      citizens: result.citizens.length,
      elapsedMs: result.elapsedMs,
      cpuMs,
      otherCpuMs,
      memory: new Map([
        [EMBEDDED, { startMb: startMemory.rssMb, afterMb: after.rssMb, peakMb: after.peakMb }],
      ]),
      records: await platform.records(),
      stages: await stageLatencies(platform.stores, result),
      idle: idleResult,
    };
  } finally {
    await platform.dispose();
  }
}

async function machine(): Promise<string> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const setting = async (name: string) =>
      (await admin.query<{ v: string }>('SELECT current_setting($1) AS v', [name])).rows[0]!.v;
    const cpu = cpus();
    return (
      `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), PostgreSQL ${await setting('server_version')} ` +
      `(synchronous_commit=${await setting('synchronous_commit')}, fsync=${await setting('fsync')}), ` +
      `Node ${process.version}, librdkafka mock cluster (1 broker)`
    );
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const startedAt = performance.now();
  const points: PointResult[] = [];
  const trust = options.modes.includes('server') ? await BenchTrust.start() : undefined;
  try {
    for (const mode of options.modes)
      for (const [i, concurrency] of options.concurrency.entries()) {
        const idle = options.idleSeconds > 0 && i === options.concurrency.length - 1;
        points.push(
          mode === 'server'
            ? await serverPoint(trust!, options, concurrency, idle)
            : await embeddedPoint(options, concurrency, idle),
        );
      }
  } finally {
    await trust?.stop();
  }
  const runS = (performance.now() - startedAt) / 1000;
  const out = [
    `Date: ${new Date().toISOString().slice(0, 10)}; run time ${Math.round(runS)} s`,
    await machine(),
    `Per run: ${options.citizens} citizens through \`runDemo\`, ${options.stations} encoding stations; a fresh platform ` +
      `(databases, broker) for each run. Server mode: consumer fetch wait ${options.kafkaMaxWaitMs} ms. ` +
      `Idle window: ${options.idleSeconds} s, from ${IDLE_SETTLE_MS / 1000} s after each mode's last run.`,
    '',
    '### Throughput and the floor',
    '',
    throughputTable(points),
    '',
    '### CPU ms per citizen, per process',
    '',
    cpuTable(points),
    '',
    '### Commits and records per citizen (server mode)',
    '',
    commitsTable(points),
    '',
    '### Time in each stage',
    '',
    stageTable(points),
    '',
    '### Resident memory',
    '',
    memoryTable(points),
    '',
    '### Idle',
    '',
    ...(options.modes.includes('server')
      ? [
          `Server mode with a consumer fetch wait of ${options.kafkaMaxWaitMs} ms: each idle consumer fetches ` +
            `${(1000 / options.kafkaMaxWaitMs).toFixed(0)} times a second (the services' default wait is 500 ms). ` +
            'Wake-ups: voluntary context switches of the main thread.',
          '',
        ]
      : []),
    idleTable(points),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
