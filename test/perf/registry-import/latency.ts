/** Latency of calls under concurrent loops, measured after a warm-up of a tenth as long. */
export interface LatencyResult {
  readonly calls: number;
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time per measured call of each process probed (µs), by probe name. */
  readonly cpuUsPerCall: Readonly<Record<string, number>>;
}

/** Cumulative CPU time of a process, in µs. */
export type CpuProbe = () => number;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function loop(callers: number, ms: number, call: () => Promise<unknown>, record: (ms: number) => void) {
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await call();
        record(performance.now() - t);
      }
    }),
  );
}

export async function measureLatency(
  callers: number,
  seconds: number,
  call: () => Promise<unknown>,
  probes: Readonly<Record<string, CpuProbe>> = {},
): Promise<LatencyResult> {
  await loop(callers, seconds * 100, call, () => undefined);
  const samples: number[] = [];
  const cpuBefore = Object.entries(probes).map(([name, probe]) => [name, probe()] as const);
  const started = performance.now();
  await loop(callers, seconds * 1000, call, (ms) => samples.push(ms));
  const elapsed = performance.now() - started;
  const cpuUsPerCall = Object.fromEntries(
    cpuBefore.map(([name, before]) => [name, (probes[name]!() - before) / samples.length]),
  );
  samples.sort((a, b) => a - b);
  return {
    calls: samples.length,
    callsPerSecond: (samples.length * 1000) / elapsed,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: samples.at(-1) ?? Number.NaN,
    cpuUsPerCall,
  };
}
