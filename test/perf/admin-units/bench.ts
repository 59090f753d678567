/**
 * Resolving an address to today's unit, in process: `resolveAddress(communeCode, recordedAt)` on
 * the official lists (10,035 pre-reform communes, 3,321 today), beside a plain `Map.get` of the
 * same codes (the floor: no date, no history) and the older `currentSuccessor` (which builds its
 * answer on every call), in the same run. Goal: ≥ 1,000,000 resolutions per second.
 *
 *   npx tsc -b test/perf && node test/perf/dist/admin-units/bench.js     (BENCH_SCALE multiplies the 1,000,000 addresses)
 */
import { ADMINISTRATIVE_UNITS, CalendarDate, type AddressResolution } from '@cancuoc/identity';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const ADDRESSES = Math.round(1_000_000 * SCALE);
const ROUNDS = 7;
const GOAL = 1_000_000;

/** A fixed pseudo-random sequence (mulberry32), so every run resolves the same addresses. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// Addresses as a register holds them: mostly recorded before the reform (old codes, any day since
// 2000), a quarter recorded since (today's codes). Dates are parsed once, as a stored record's are.
const random = seeded(21);
const before = ADMINISTRATIVE_UNITS.unitsInForce(CalendarDate.of(2025, 6, 30), 'commune');
const after = ADMINISTRATIVE_UNITS.currentUnits('commune');
const FIRST = CalendarDate.of(2000, 1, 1).toEpochDay();
const REFORM = CalendarDate.of(2025, 7, 1).toEpochDay();
const LAST = CalendarDate.of(2026, 12, 1).toEpochDay();
const dates = new Map<number, CalendarDate>();
const dateOf = (day: number) => {
  let date = dates.get(day);
  if (!date) dates.set(day, (date = CalendarDate.fromEpochDay(day)));
  return date;
};
const codes: string[] = [];
const recordedAt: CalendarDate[] = [];
for (let i = 0; i < ADDRESSES; i++) {
  const old = random() < 0.75;
  const list = old ? before : after;
  codes.push(list[Math.floor(random() * list.length)]!.code);
  const [from, to] = old ? [FIRST, REFORM] : [REFORM, LAST];
  recordedAt.push(dateOf(from + Math.floor(random() * (to - from))));
}

const floor = new Map(after.map((u) => [u.code, u]));
for (const u of before) if (!floor.has(u.code)) floor.set(u.code, u);

/** The median rate of `ROUNDS` passes over every address, after one pass of warm-up. */
function rate(pass: () => number): { perSecond: number; result: number } {
  let result = pass();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    result = pass();
    rates.push((ADDRESSES * 1000) / (performance.now() - started));
  }
  rates.sort((a, b) => a - b);
  return { perSecond: rates[Math.floor(ROUNDS / 2)]!, result };
}

const counts = { resolved: 0, 'needs-recoding': 0, unknown: 0 } satisfies Record<
  AddressResolution['status'],
  number
>;
const ours = rate(() => {
  let resolved = 0;
  for (let i = 0; i < ADDRESSES; i++) {
    if (ADMINISTRATIVE_UNITS.resolveAddress(codes[i]!, recordedAt[i]!).status === 'resolved') resolved++;
  }
  return resolved;
});
for (let i = 0; i < ADDRESSES; i++)
  counts[ADMINISTRATIVE_UNITS.resolveAddress(codes[i]!, recordedAt[i]!).status]++;
const mapFloor = rate(() => {
  let found = 0;
  for (let i = 0; i < ADDRESSES; i++) if (floor.get(codes[i]!) !== undefined) found++;
  return found;
});
const older = rate(() => {
  let resolved = 0;
  for (let i = 0; i < ADDRESSES; i++) {
    if (ADMINISTRATIVE_UNITS.currentSuccessor(codes[i]!, recordedAt[i]!)?.kind === 'unit') resolved++;
  }
  return resolved;
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const share = (n: number) => `${((100 * n) / ADDRESSES).toFixed(1)}%`;
process.stdout.write(
  [
    `Address → today's unit, ${fmt(ADDRESSES)} addresses (75% recorded 2000–2025-06-30 on old codes, 25% since on today's), ` +
      `median of ${ROUNDS} passes after a warm-up; Node ${process.version}`,
    `Outcomes: resolved ${share(counts.resolved)}, needs recoding ${share(counts['needs-recoding'])}, unknown ${share(counts.unknown)}`,
    '',
    '| Lookup | per second | vs Map.get floor |',
    '| --- | ---: | ---: |',
    `| \`resolveAddress(code, recordedAt)\` (today's unit, or recoding candidates) | ${fmt(ours.perSecond)} | ${(ours.perSecond / mapFloor.perSecond).toFixed(2)}× |`,
    `| \`currentSuccessor(code, recordedAt)\` (older API, builds its answer each call) | ${fmt(older.perSecond)} | ${(older.perSecond / mapFloor.perSecond).toFixed(2)}× |`,
    `| baseline: \`Map.get(code)\` (no date, no history) | ${fmt(mapFloor.perSecond)} | 1.00× |`,
    '',
    `Goal ≥ ${fmt(GOAL)}/s: ${ours.perSecond >= GOAL ? 'met' : 'NOT met'}`,
    '',
  ].join('\n'),
);
if (ours.result !== counts.resolved || mapFloor.result !== ADDRESSES) throw new Error('the passes disagree');
