/**
 * Child of bench.ts: opens `count` PGlite databases one after another in this process, each in a
 * folder of its own under `dir`, and prints the process's memory (JSON, one line) after each.
 *
 *   node pglite-probe.js '{"dir":"…","count":5,"open":"database"|"pglite","settings":{…}}'
 *
 * `database` opens them as Cancuoc does (`Database.connect`: its settings, a new cluster made in a
 * child process); `pglite` calls `PGlite.create` itself, on PGlite's own start parameters plus
 * `settings`, making a new cluster (initdb) in this process as PGlite does.
 */
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Database } from '@cancuoc/eventstore';
import { collect, sample, type Sample } from './memory.js';

export interface ProbeArgs {
  readonly dir: string;
  readonly count: number;
  readonly open: 'database' | 'pglite';
  readonly settings?: Readonly<Record<string, string>>;
}

export interface ProbeResult {
  readonly before: Sample;
  /** After each open, as it is (no collection forced). */
  readonly opened: readonly Sample[];
  /** Three seconds after the last, with a full collection. */
  readonly settled: Sample;
  /** Milliseconds each open took. */
  readonly openMs: readonly number[];
}

const args = JSON.parse(process.argv[2] ?? '') as ProbeArgs;
const before = sample();
const opened: Sample[] = [];
const openMs: number[] = [];
const close: Array<() => Promise<void>> = [];
for (let i = 0; i < args.count; i++) {
  const dataDir = join(args.dir, `db${i}`);
  const started = performance.now();
  if (args.open === 'database') {
    const db = await Database.connect({ dataDir });
    await db.query('SELECT count(*) FROM pg_class');
    close.push(() => db.close());
  } else {
    const startParams = [
      ...PGlite.defaultStartParams,
      ...Object.entries(args.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    const pglite = await PGlite.create({ dataDir, startParams });
    await pglite.query('SELECT count(*) FROM pg_class');
    close.push(() => pglite.close());
  }
  openMs.push(performance.now() - started);
  opened.push(sample());
}
await new Promise((resolve) => setTimeout(resolve, 3_000));
collect();
const settled = sample();
for (const done of close) await done();
const result: ProbeResult = { before, opened, settled, openMs };
process.stdout.write(`${JSON.stringify(result)}\n`);
