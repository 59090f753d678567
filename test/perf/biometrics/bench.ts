/**
 * 1:N fingerprint search benchmark (issue 22, point 3): the built-in matcher's candidate index over
 * minutia triplets, then full comparison of the few candidates, at 1,000, 100,000 and 1,000,000
 * enrolled synthetic people; the linear scan (every enrolled record parsed and compared, as the
 * matcher did before the index) beside it where it is affordable.
 *
 *   npm run bench:biometrics            (or: tsc -b tsconfig.json && node test/perf/dist/biometrics/bench.js)
 *
 * Each gallery size runs in a process of its own (`services/enrollment/dist/bench/one-to-many.js`),
 * so its resident memory is its own. Mated searches are second impressions of enrolled people
 * (turned, shifted, position and direction noise, minutiae missed and spurious); non-mated ones
 * are people not enrolled, impressed the same way. Accuracy: FNIR at the threshold where FPIR is
 * at most 0.1 %, and the matcher's own candidate decision's FNIR and FPIR.
 *
 * BENCH_SCALE (default 1) multiplies the gallery sizes (at most 1); BENCH_SIZES overrides them
 * (comma-separated).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCALE = Math.min(1, Number(process.env['BENCH_SCALE'] ?? 1));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKER = join(root, 'services/enrollment/dist/bench/one-to-many.js');

const SIZES = (process.env['BENCH_SIZES'] ?? '1000,100000,1000000')
  .split(',')
  .map((s) => Math.max(100, Math.round(Number(s) * SCALE)));
/** Searches of each kind: ≥ 1,000 non-mated for a 0.1 % FPIR to mean something. */
const MATED = Math.max(100, Math.round(1000 * Math.sqrt(SCALE)));
const NON_MATED = Math.max(300, Math.round(3000 * Math.sqrt(SCALE)));
/**
 * Linear scan (mated, non-mated searches): at 1,000 enrolled enough non-mated searches for the
 * FPIR, at 100,000 a sample for the latency (a search takes about a minute), none beyond.
 */
const linearSearches = (enrolled: number): [number, number] =>
  enrolled <= 2_000 ? [Math.round(MATED / 5), NON_MATED / 3] : enrolled <= 200_000 ? [5, 5] : [0, 0];

interface Side {
  readonly p50: number;
  readonly p99: number;
  readonly cpuP50: number;
  readonly cpuP99: number;
  readonly compared: number;
  readonly fnirAtFpir?: number;
  readonly fpir?: number;
  readonly decisionFnir: number;
  readonly decisionFpir: number;
  readonly mated?: number;
  readonly nonMated?: number;
}

interface Result {
  readonly enrolled: number;
  readonly mated: number;
  readonly nonMated: number;
  readonly build: { seconds: number; extractMsPerPerson: number; fileSeconds: number; keysPerPerson: number };
  readonly memory: { indexMb: number; rssMb: number; heapMb: number };
  readonly indexed: Side & { lookupMs: number };
  readonly linear?: Side;
}

function run(enrolled: number): Promise<Result> {
  const [linearMated, linearNonMated] = linearSearches(enrolled);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', WORKER], {
      env: {
        ...process.env,
        ENROLLED: String(enrolled),
        MATED: String(MATED),
        NON_MATED: String(NON_MATED),
        LINEAR: String(Math.min(linearMated, MATED)),
        LINEAR_NON_MATED: String(Math.min(Math.round(linearNonMated), NON_MATED)),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as Result)
        : reject(new Error(`${enrolled}: worker exited ${code}`)),
    );
  });
}

const pct = (value: number | undefined) => (value === undefined ? 'n/a' : `${value} %`);

const rows: string[] = [
  '| enrolled | search | searches (mated + non-mated) | p50 / p99 ms | CPU p50 / p99 ms | compared per search | FNIR @ FPIR ≤ 0.1 % | decision FNIR / FPIR | index MB / RSS MB | build s (keys ms/person) |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const enrolled of SIZES) {
  const started = Date.now();
  const r = await run(enrolled);
  process.stderr.write(
    `${enrolled} enrolled: ${Math.round((Date.now() - started) / 1000)} s\n${JSON.stringify(r)}\n`,
  );
  const n = r.enrolled.toLocaleString('en');
  rows.push(
    `| ${n} | index | ${r.mated} + ${r.nonMated} | ${r.indexed.p50} / ${r.indexed.p99} | ${r.indexed.cpuP50} / ${r.indexed.cpuP99} | ${r.indexed.compared} | ${pct(r.indexed.fnirAtFpir)} (FPIR ${pct(r.indexed.fpir)}) | ${pct(r.indexed.decisionFnir)} / ${pct(r.indexed.decisionFpir)} | ${r.memory.indexMb} / ${r.memory.rssMb} | ${r.build.seconds} (${r.build.extractMsPerPerson}) |`,
  );
  if (r.linear) {
    const l = r.linear;
    rows.push(
      `| ${n} | linear | ${l.mated} + ${l.nonMated} | ${l.p50} / ${l.p99} | ${l.cpuP50} / ${l.cpuP99} | ${l.compared} | ${l.fnirAtFpir === undefined ? 'n/a (sample)' : `${pct(l.fnirAtFpir)} (FPIR ${pct(l.fpir)})`} | ${pct(l.decisionFnir)} / ${pct(l.decisionFpir)} | | |`,
    );
  }
}
process.stdout.write(`${rows.join('\n')}\n`);
