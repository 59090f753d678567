/**
 * Embedded memory: what `cancuoc start` holds resident, and what each PGlite database in it costs.
 *
 *   npm run bench:embedded-memory        (BENCH_CITIZENS: the demo's citizens, default 20)
 *
 * 1. PGlite alone: five databases (as many as the embedded platform opens) opened one after
 *    another in a fresh process, on PGlite's own settings and on ours, in new folders (initdb) and
 *    reopened — the process's resident memory after each, and three seconds after the last with a
 *    full collection.
 * 2. The platform: `cancuoc start` on a new data folder (forked, see platform-probe.ts), its memory
 *    when it reports it is running and ten seconds later; after `cancuoc demo` (a separate process)
 *    of BENCH_CITIZENS citizens; then stopped and started again on the same folder.
 * Prints the tables docs/benchmarks.md records.
 */
import { execFile, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGLITE_SETTINGS } from '@cancuoc/eventstore';
import { mib, type Sample } from './memory.js';
import type { ProbeArgs, ProbeResult } from './pglite-probe.js';

const CITIZENS = Number(process.env['BENCH_CITIZENS'] ?? 20);
const INSTANCES = 5;
const GOAL_MIB = 600;
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(dirname(createRequire(import.meta.url).resolve('@cancuoc/platform')), 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'bench-embedded-memory-'));
const run = promisify(execFile);

async function probe(args: ProbeArgs): Promise<ProbeResult> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', join(here, 'pglite-probe.js'), JSON.stringify(args)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

interface PgliteRow {
  readonly label: string;
  readonly result: ProbeResult;
}

function pgliteTable(rows: readonly PgliteRow[]): string {
  const lines = [
    `| PGlite databases, ${INSTANCES} in one process | First: RSS added | Each further: RSS added | RSS after ${INSTANCES} | Settled (3 s, full GC) | Peak (VmHWM) | Open, ms each |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { label, result } of rows) {
    const first = result.opened[0]!.rss - result.before.rss;
    const last = result.opened.at(-1)!;
    const further = (last.rss - result.opened[0]!.rss) / (result.opened.length - 1);
    const ms = result.openMs.reduce((a, b) => a + b, 0) / result.openMs.length;
    lines.push(
      `| ${label} | ${mib(first)} MiB | ${mib(further)} MiB | ${mib(last.rss)} MiB | ${mib(result.settled.rss)} MiB | ${mib(result.settled.hwm)} MiB | ${mib(ms)} |`,
    );
  }
  return lines.join('\n');
}

/** A running `cancuoc start`, forked; its memory on request. */
class Platform {
  private constructor(
    private readonly child: ReturnType<typeof fork>,
    readonly addresses: Record<string, string>,
    readonly startMs: number,
    readonly atStart: Sample,
  ) {}

  static start(dataDir: string): Promise<Platform> {
    const child = fork(join(here, 'platform-probe.js'), [dataDir], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`cancuoc start exited with ${code}`)));
      child.on(
        'message',
        (message: { started?: { ms: number; addresses: Record<string, string>; sample: Sample } }) => {
          if (message.started)
            resolve(
              new Platform(child, message.started.addresses, message.started.ms, message.started.sample),
            );
        },
      );
    });
  }

  sample(): Promise<Sample> {
    return new Promise((resolve) => {
      const onMessage = (message: { sample?: Sample }) => {
        if (!message.sample) return;
        this.child.off('message', onMessage);
        resolve(message.sample);
      };
      this.child.on('message', onMessage);
      this.child.send({ sample: true });
    });
  }

  async stop(): Promise<void> {
    this.child.removeAllListeners('exit');
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    this.child.send({ stop: true });
    const code = await exited;
    if (code !== 0) throw new Error(`cancuoc start stopped with ${code}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PlatformRow {
  readonly moment: string;
  readonly sample: Sample;
}

function platformTable(rows: readonly PlatformRow[]): string {
  const lines = [
    `| \`cancuoc start\` | RSS | Peak so far (VmHWM) | JS heap used | External (WASM heaps, buffers) | Goal ≤ ${GOAL_MIB} MiB |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const { moment, sample } of rows)
    lines.push(
      `| ${moment} | ${mib(sample.rss)} MiB | ${mib(sample.hwm)} MiB | ${mib(sample.heapUsed)} MiB | ${mib(sample.external)} MiB | ${sample.rss <= GOAL_MIB ? 'met' : 'MISSED'} |`,
    );
  return lines.join('\n');
}

try {
  const ours = Object.entries(PGLITE_SETTINGS)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const rows: PgliteRow[] = [];
  const pgliteDir = join(root, 'pglite-own');
  const oursDir = join(root, 'cancuoc');
  for (const dir of [pgliteDir, oursDir]) mkdirSync(dir);
  process.stderr.write('PGlite alone…\n');
  rows.push({
    label: 'new folders, `PGlite.create` (initdb in process), PGlite settings',
    result: await probe({ dir: pgliteDir, count: INSTANCES, open: 'pglite' }),
  });
  rows.push({
    label: 'reopened, PGlite settings (shared_buffers=128MB)',
    result: await probe({ dir: pgliteDir, count: INSTANCES, open: 'pglite' }),
  });
  rows.push({
    label: `reopened, ${ours}`,
    result: await probe({ dir: pgliteDir, count: INSTANCES, open: 'pglite', settings: PGLITE_SETTINGS }),
  });
  rows.push({
    label: 'new folders, `Database.connect` (initdb in a child process, our settings)',
    result: await probe({ dir: oursDir, count: INSTANCES, open: 'database' }),
  });
  rows.push({
    label: 'reopened, `Database.connect`',
    result: await probe({ dir: oursDir, count: INSTANCES, open: 'database' }),
  });

  process.stderr.write('cancuoc start…\n');
  const dataDir = join(root, 'platform');
  const moments: PlatformRow[] = [];
  let platform = await Platform.start(dataDir);
  moments.push({
    moment: `new folder: running (${(platform.startMs / 1000).toFixed(0)} s)`,
    sample: platform.atStart,
  });
  await sleep(10_000);
  moments.push({ moment: 'new folder: 10 s later, idle', sample: await platform.sample() });
  process.stderr.write(`cancuoc demo --citizens ${CITIZENS}…\n`);
  const demoStarted = performance.now();
  await run(process.execPath, [
    cli,
    'demo',
    '--citizens',
    String(CITIZENS),
    '--seed',
    '22',
    '--data-dir',
    dataDir,
    ...Object.entries(platform.addresses).flatMap(([service, address]) => [`--${service}`, address]),
  ]);
  const demoS = (performance.now() - demoStarted) / 1000;
  moments.push({
    moment: `after \`cancuoc demo --citizens ${CITIZENS}\` (${demoS.toFixed(0)} s)`,
    sample: await platform.sample(),
  });
  await platform.stop();
  platform = await Platform.start(dataDir);
  moments.push({
    moment: `restarted on that folder: running (${(platform.startMs / 1000).toFixed(0)} s)`,
    sample: platform.atStart,
  });
  await sleep(10_000);
  moments.push({ moment: 'restarted: 10 s later, idle', sample: await platform.sample() });
  await platform.stop();

  process.stdout.write(`\n${pgliteTable(rows)}\n\n${platformTable(moments)}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
