/**
 * One gallery size of the 1:N search benchmark (`test/perf/biometrics` runs it at each size, in a
 * process of its own so its memory is its own): synthetic people enrolled into the candidate index
 * the built-in matcher uses, then mated searches (a second impression of an enrolled person) and
 * non-mated ones (a person not enrolled), each through the index to a few candidates compared in
 * full — and, where it is affordable, the same searches by linear scan beside them.
 *
 *   node services/enrollment/dist/bench/one-to-many.js   (ENROLLED, MATED, NON_MATED, LINEAR,
 *   LINEAR_NON_MATED in env)
 *
 * Prints one JSON line. Times are for one search on one thread, from the probe record to the
 * decision: index keys, index lookup, parsing each candidate's ISO/IEC 19794-2 record and comparing
 * it. Not counted: the database and vault around it (reading ≤ 10 candidate rows, decrypting them,
 * one audit insert, filing the probe), which the matcher's specs exercise on the real schema.
 * Candidate records are regenerated from their seed outside the timed part, since a million
 * records would not fit beside the index.
 */
import { randomBytes } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  reimpressed,
  seededRandom,
  syntheticPerson,
  tenPrint,
  tenPrintRecord,
  type Placement,
} from '@cancuoc/synthetic';
import { CandidateIndex, DEFAULT_INDEXING, FeatureKeys } from '../domain/biometrics/candidate-index.js';
import { parseMinutiaeRecord, type MinutiaeRecord } from '../domain/biometrics/iso19794-2.js';
import { compareTenPrints, type PersonComparison } from '../domain/biometrics/minutiae-matching.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ENROLLED = env('ENROLLED', 1000);
const MATED = env('MATED', 1000);
const NON_MATED = env('NON_MATED', 3000);
/** Linear-scan searches, mated and non-mated (0: none): every enrolled record parsed and compared. */
const LINEAR = env('LINEAR', 0);
const LINEAR_NON_MATED = env('LINEAR_NON_MATED', LINEAR);
const FPIR_TARGET = 0.001;

/**
 * A second impression as a scanner takes it: turned up to ±35°, shifted up to ±40 px, positions
 * off by up to 2–4 px and directions by 2–4 units (3–6°), 10–30 % of minutiae missed and as many
 * spurious ones found — different from the enrolled impression in every minutia.
 */
function placementFor(seed: number): Placement {
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + random() * (high - low);
  return {
    rotation: between(-35, 35),
    dx: between(-40, 40),
    dy: between(-40, 40),
    jitter: between(2, 4),
    angleJitter: between(2, 4),
    dropped: between(0.1, 0.3),
    spurious: between(0.1, 0.3),
  };
}

const probeRecord = (person: number, impression: number) =>
  tenPrintRecord(reimpressed(syntheticPerson(person), impression, placementFor(impression)));

/** The probe is parsed once per search, as the matcher does; each reference per comparison. */
const compare = (a: MinutiaeRecord, reference: Uint8Array): PersonComparison => {
  const b = parseMinutiaeRecord(reference);
  return compareTenPrints(
    { views: a.views, resolution: a.resolutionX },
    { views: b.views, resolution: b.resolutionX },
  );
};

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const cpuMs = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

interface Outcome {
  /** The mate's score (mated searches; 0 when not compared) and the best non-mate's. */
  readonly mate: number;
  readonly nonMate: number;
  /** The matcher's own decision: the mate a candidate, and anyone else a candidate. */
  readonly mateCandidate: boolean;
  readonly nonMateCandidate: boolean;
  readonly compared: number;
  readonly ms: number;
  /** CPU time of the search (this process's, so it holds even when other work competes for the cores). */
  readonly cpuMs: number;
}

function score(
  probe: Uint8Array,
  mate: number | undefined,
  people: number[],
  record: (person: number) => Uint8Array,
  timed: (fn: () => void) => void,
): Omit<Outcome, 'ms' | 'cpuMs'> {
  const references = people.map((p) => ({ person: p, bytes: record(p) }));
  let out = { mate: 0, nonMate: 0, mateCandidate: false, nonMateCandidate: false, compared: 0 };
  timed(() => {
    const parsed = parseMinutiaeRecord(probe);
    for (const { person, bytes } of references) {
      const result = compare(parsed, bytes);
      out.compared++;
      if (person === mate) out = { ...out, mate: result.bestScore, mateCandidate: result.candidate };
      else
        out = {
          ...out,
          nonMate: Math.max(out.nonMate, result.bestScore),
          nonMateCandidate: out.nonMateCandidate || result.candidate,
        };
    }
  });
  return out;
}

/** FNIR at the lowest threshold whose FPIR is at most the target, and the matcher's own rates. */
function accuracy(mated: Outcome[], nonMated: Outcome[]) {
  const nonMateScores = nonMated.map((o) => o.nonMate).sort((a, b) => b - a);
  const allowed = Math.floor(FPIR_TARGET * nonMated.length);
  // Above the (allowed+1)-th highest non-mated score: at most `allowed` false positives.
  const threshold = (nonMateScores[allowed] ?? 0) + 1e-9;
  const fpir = nonMated.filter((o) => o.nonMate >= threshold).length / nonMated.length;
  const fnir = mated.filter((o) => o.mate < threshold).length / mated.length;
  return {
    threshold: round(threshold, 3),
    fnirAtFpir: round(fnir * 100, 3),
    fpir: round(fpir * 100, 3),
    decisionFnir: round((mated.filter((o) => !o.mateCandidate).length / mated.length) * 100, 3),
    decisionFpir: round((nonMated.filter((o) => o.nonMateCandidate).length / nonMated.length) * 100, 3),
  };
}

function latency(outcomes: Outcome[]) {
  const times = outcomes.map((o) => o.ms);
  const cpu = outcomes.map((o) => o.cpuMs);
  return {
    p50: round(percentile(times, 0.5)),
    p99: round(percentile(times, 0.99)),
    cpuP50: round(percentile(cpu, 0.5)),
    cpuP99: round(percentile(cpu, 0.99)),
    mean: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
    compared: round(outcomes.reduce((n, o) => n + o.compared, 0) / Math.max(1, outcomes.length), 1),
  };
}

/** The indexed fingers come first among the first seven positions (2, 7, 1, 6 by preference). */
const upTo = Math.max(...DEFAULT_INDEXING.preferredFingers.slice(0, DEFAULT_INDEXING.fingers));

/** Index keys of people [from, to): lengths, then the keys end to end. */
function keysOf(secret: Uint8Array, from: number, to: number) {
  const featureKeys = new FeatureKeys(secret);
  const lengths = new Uint32Array(to - from);
  const parts: Uint32Array[] = [];
  let extract = 0;
  for (let person = from; person < to; person++) {
    const views = tenPrint(syntheticPerson(person, 45, upTo)).views;
    const t = process.hrtime.bigint();
    const filed = featureKeys.enrolment(views, 197);
    extract += ms(t);
    lengths[person - from] = filed.length;
    parts.push(filed);
  }
  const all = new Uint32Array(lengths.reduce((n, l) => n + l, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return { from, lengths, all, extract };
}

if (!isMainThread) {
  const { secret, from, to } = workerData as { secret: Uint8Array; from: number; to: number };
  for (let start = from; start < to; start += 10_000) {
    const chunk = keysOf(secret, start, Math.min(to, start + 10_000));
    parentPort!.postMessage(chunk, [chunk.lengths.buffer, chunk.all.buffer]);
  }
  process.exit(0);
}

const secret = randomBytes(32);
const keys = new FeatureKeys(secret);
const index = new CandidateIndex(22);
let extractMs = 0;
let fileMs = 0;
const startedBuild = process.hrtime.bigint();
const file = (chunk: ReturnType<typeof keysOf>) => {
  const t = process.hrtime.bigint();
  let at = 0;
  chunk.lengths.forEach((length, i) => {
    index.add(chunk.from + i, chunk.all.subarray(at, at + length));
    at += length;
  });
  fileMs += ms(t);
  extractMs += chunk.extract;
};
// The gallery's keys are made on BUILD_THREADS threads (the synthetic gallery is not what is
// measured); filing them and every search run on this one.
const threads = ENROLLED >= 50_000 ? env('BUILD_THREADS', 2) : 0;
if (threads === 0) file(keysOf(secret, 1, ENROLLED + 1));
else {
  const share = Math.ceil(ENROLLED / threads);
  await Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const from = 1 + i * share;
      const to = Math.min(ENROLLED + 1, from + share);
      const worker = new Worker(new URL(import.meta.url), { workerData: { secret, from, to } });
      worker.on('message', file);
      return new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`build thread exited ${code}`)),
        );
      });
    }),
  );
}
let t = process.hrtime.bigint();
index.merge();
fileMs += ms(t);
const buildSeconds = ms(startedBuild) / 1000;
process.stderr.write(`${ENROLLED} enrolled: filed in ${Math.round(buildSeconds)} s\n`);
global.gc?.();
const memory = process.memoryUsage();

const matedPeople = Array.from({ length: MATED }, (_, i) => 1 + Math.floor((i * ENROLLED) / MATED));
const searches = [
  ...matedPeople.map((person, i) => ({
    person,
    mate: person as number | undefined,
    impression: 1_000_000_007 + i,
  })),
  ...Array.from({ length: NON_MATED }, (_, i) => ({
    person: ENROLLED + 1 + i,
    mate: undefined,
    impression: 2_000_000_011 + i,
  })),
];

const indexed = { mated: [] as Outcome[], nonMated: [] as Outcome[] };
let lookupMs = 0;
for (const [done, search] of searches.entries()) {
  if (done % 500 === 0) process.stderr.write(`${ENROLLED} enrolled: ${done}/${searches.length} searches\n`);
  const probe = probeRecord(search.person, search.impression);
  let elapsed = 0;
  let cpu = 0;
  let c = process.cpuUsage();
  t = process.hrtime.bigint();
  const parsed = parseMinutiaeRecord(probe);
  const found = index.search(
    keys.query(parsed.views, parsed.resolutionX),
    DEFAULT_INDEXING.candidates,
    DEFAULT_INDEXING.minVotes,
  );
  elapsed += ms(t);
  cpu += cpuMs(c);
  lookupMs += elapsed;
  const result = score(
    probe,
    search.mate,
    found.map((c) => c.member),
    (person) => tenPrintRecord(syntheticPerson(person)),
    (fn) => {
      c = process.cpuUsage();
      const s = process.hrtime.bigint();
      fn();
      elapsed += ms(s);
      cpu += cpuMs(c);
    },
  );
  (search.mate === undefined ? indexed.nonMated : indexed.mated).push({ ...result, ms: elapsed, cpuMs: cpu });
}

let linear: Record<string, unknown> | undefined;
if (LINEAR + LINEAR_NON_MATED > 0) {
  const records = Array.from({ length: ENROLLED }, (_, i) => tenPrintRecord(syntheticPerson(i + 1)));
  const everyone = Array.from({ length: ENROLLED }, (_, i) => i + 1);
  const outcomes = { mated: [] as Outcome[], nonMated: [] as Outcome[] };
  const chosen = [...searches.slice(0, LINEAR), ...searches.slice(MATED, MATED + LINEAR_NON_MATED)];
  for (const search of chosen) {
    const probe = probeRecord(search.person, search.impression);
    let elapsed = 0;
    let cpu = 0;
    const result = score(
      probe,
      search.mate,
      everyone,
      (person) => records[person - 1]!,
      (fn) => {
        const c = process.cpuUsage();
        const s = process.hrtime.bigint();
        fn();
        elapsed = ms(s);
        cpu = cpuMs(c);
      },
    );
    (search.mate === undefined ? outcomes.nonMated : outcomes.mated).push({
      ...result,
      ms: elapsed,
      cpuMs: cpu,
    });
  }
  linear = {
    mated: outcomes.mated.length,
    nonMated: outcomes.nonMated.length,
    ...latency([...outcomes.mated, ...outcomes.nonMated]),
    ...(outcomes.nonMated.length >= 1 / FPIR_TARGET ? accuracy(outcomes.mated, outcomes.nonMated) : {}),
    decisionFnir: round(
      (outcomes.mated.filter((o) => !o.mateCandidate).length / Math.max(1, outcomes.mated.length)) * 100,
      3,
    ),
    decisionFpir: round(
      (outcomes.nonMated.filter((o) => o.nonMateCandidate).length / Math.max(1, outcomes.nonMated.length)) *
        100,
      3,
    ),
  };
}

const all = [...indexed.mated, ...indexed.nonMated];
process.stdout.write(
  `${JSON.stringify({
    enrolled: ENROLLED,
    mated: indexed.mated.length,
    nonMated: indexed.nonMated.length,
    build: {
      seconds: round(buildSeconds, 1),
      extractMsPerPerson: round(extractMs / ENROLLED, 3),
      fileSeconds: round(fileMs / 1000, 2),
      keysPerPerson: round(index.postingCount / ENROLLED, 1),
    },
    memory: {
      indexMb: Math.round(index.memoryBytes / 2 ** 20),
      rssMb: Math.round(memory.rss / 2 ** 20),
      heapMb: Math.round(memory.heapUsed / 2 ** 20),
    },
    indexed: {
      ...latency(all),
      lookupMs: round(lookupMs / all.length),
      matedP99: round(
        percentile(
          indexed.mated.map((o) => o.ms),
          0.99,
        ),
      ),
      nonMatedP99: round(
        percentile(
          indexed.nonMated.map((o) => o.ms),
          0.99,
        ),
      ),
      ...accuracy(indexed.mated, indexed.nonMated),
    },
    ...(linear && { linear }),
  })}\n`,
);
