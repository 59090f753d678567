import { STAGES, percentile, type StageLatencies } from './stages.js';

export type Mode = 'server' | 'embedded';

/** One run of the whole path: one mode, one concurrency, a fresh platform. */
export interface PointResult {
  readonly mode: Mode;
  readonly concurrency: number;
  /** Citizens taken the whole way (registered, enrolled, card issued, the agency has it). */
  readonly citizens: number;
  readonly elapsedMs: number;
  /** CPU milliseconds during the run, per process (each service; embedded: the one platform process). */
  readonly cpuMs: ReadonlyMap<string, number>;
  /** Other processes of the run, not the platform's (the Kafka broker; the bench itself). */
  readonly otherCpuMs: ReadonlyMap<string, number>;
  /** MB per process: right after start, after the run, and the largest. */
  readonly memory: ReadonlyMap<
    string,
    { readonly startMb: number; readonly afterMb: number; readonly peakMb: number }
  >;
  /** Commits per database during the run (server mode: pg_stat_database). */
  readonly commits?: ReadonlyMap<string, number>;
  /** Kafka records (embedded: records of the in-process log) during the run. */
  readonly records: number;
  readonly floor?: { readonly ms: number; readonly connections: number };
  readonly stages: StageLatencies;
  /** Percent of one core each process used while idle, and their databases' commits per second. */
  readonly idle?: {
    readonly seconds: number;
    readonly cpuPercent: ReadonlyMap<string, number>;
    readonly commitsPerSecond?: ReadonlyMap<string, number>;
    /** Wake-ups per second of each service process's event loop (its main thread). */
    readonly wakeUpsPerSecond?: ReadonlyMap<string, number>;
  };
}

export const GOALS = {
  server: { citizensPerSecond: 30, cpuMsPerCitizen: 40 },
  embedded: { citizensPerSecond: 10, startMb: 600 },
  idlePercent: 2,
} as const;

const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const one = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
const two = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

export const rateOf = (p: PointResult) => p.citizens / (p.elapsedMs / 1000);
export const cpuPerCitizen = (p: PointResult) => sum(p.cpuMs.values()) / p.citizens;

function throughputGoal(p: PointResult): string {
  const rate = rateOf(p);
  const misses: string[] = [];
  if (p.mode === 'server') {
    if (rate < GOALS.server.citizensPerSecond) misses.push(`< ${GOALS.server.citizensPerSecond}/s`);
    if (cpuPerCitizen(p) > GOALS.server.cpuMsPerCitizen)
      misses.push(`> ${GOALS.server.cpuMsPerCitizen} ms CPU`);
  } else if (rate < GOALS.embedded.citizensPerSecond) misses.push(`< ${GOALS.embedded.citizensPerSecond}/s`);
  return misses.length ? `MISSED: ${misses.join(', ')}` : 'met';
}

export function throughputTable(points: readonly PointResult[]): string {
  const lines = [
    '| Mode | In flight | Citizens | Run s | Citizens/s | Service CPU ms/citizen | Commits/citizen | Records/citizen | Floor s | Floor citizens/s | Pipeline ÷ floor (time) | Goal |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const p of points) {
    const commits = p.commits ? sum(p.commits.values()) / p.citizens : Number.NaN;
    const floorS = p.floor ? p.floor.ms / 1000 : Number.NaN;
    lines.push(
      `| ${p.mode} | ${p.concurrency} | ${p.citizens} | ${one(p.elapsedMs / 1000)} | **${one(rateOf(p))}** | ` +
        `${int(cpuPerCitizen(p))} | ${one(commits)} | ${one(p.records / p.citizens)} | ${two(floorS)} | ` +
        `${int(p.citizens / floorS)} | ${p.floor ? `**${one(p.elapsedMs / 1000 / floorS)}×**` : '—'} | ${throughputGoal(p)} |`,
    );
  }
  return lines.join('\n');
}

export function cpuTable(points: readonly PointResult[]): string {
  const names = [...new Set(points.flatMap((p) => [...p.cpuMs.keys(), ...p.otherCpuMs.keys()]))];
  const lines = [
    `| Mode | In flight | ${names.join(' | ')} |`,
    `| --- | ---: | ${names.map(() => '---:').join(' | ')} |`,
  ];
  for (const p of points) {
    const cell = (n: string) => {
      const ms = p.cpuMs.get(n) ?? p.otherCpuMs.get(n);
      return ms === undefined ? '' : int(ms / p.citizens);
    };
    lines.push(`| ${p.mode} | ${p.concurrency} | ${names.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function commitsTable(points: readonly PointResult[]): string {
  const withCommits = points.filter((p) => p.commits);
  if (withCommits.length === 0) return '';
  const names = [...new Set(withCommits.flatMap((p) => [...p.commits!.keys()]))];
  const lines = [
    `| Mode | In flight | ${names.join(' | ')} | Kafka records |`,
    `| --- | ---: | ${names.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const p of withCommits)
    lines.push(
      `| ${p.mode} | ${p.concurrency} | ${names.map((n) => one((p.commits!.get(n) ?? 0) / p.citizens)).join(' | ')} | ` +
        `${one(p.records / p.citizens)} |`,
    );
  return lines.join('\n');
}

export function memoryTable(points: readonly PointResult[]): string {
  const lines = [
    '| Mode | In flight | Process | Resident after start MB | After the run MB | Peak MB | Goal |',
    '| --- | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const p of points)
    for (const [name, m] of p.memory) {
      const goal =
        p.mode === 'embedded'
          ? m.startMb <= GOALS.embedded.startMb
            ? 'met'
            : `MISSED: > ${GOALS.embedded.startMb} MB after start`
          : '';
      lines.push(
        `| ${p.mode} | ${p.concurrency} | ${name} | ${int(m.startMb)} | ${int(m.afterMb)} | ${int(m.peakMb)} | ${goal} |`,
      );
    }
  return lines.join('\n');
}

export function stageTable(points: readonly PointResult[]): string {
  const lines = [
    `| Stage (ms, p50 / p99) | ${points.map((p) => `${p.mode} ×${p.concurrency}`).join(' | ')} |`,
    `| --- | ${points.map(() => '---:').join(' | ')} |`,
  ];
  const cell = (samples: readonly number[]) =>
    `${int(percentile(samples, 0.5))} / ${int(percentile(samples, 0.99))}`;
  for (const stage of STAGES)
    lines.push(`| ${stage} | ${points.map((p) => cell(p.stages.stages.get(stage)!)).join(' | ')} |`);
  lines.push(
    `| **registered → agency has the card** | ${points.map((p) => `**${cell(p.stages.total)}**`).join(' | ')} |`,
  );
  lines.push(
    `| citizens with every milestone | ${points.map((p) => String(p.stages.citizens)).join(' | ')} |`,
  );
  return lines.join('\n');
}

export function idleTable(points: readonly PointResult[]): string {
  const lines = [
    '| Mode | Process | Idle CPU, % of a core | Idle commits/s | Event-loop wake-ups/s | Goal (≤ 2% of a core per service) |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const p of points) {
    if (!p.idle) continue;
    for (const [name, percent] of p.idle.cpuPercent) {
      const commits = p.idle.commitsPerSecond?.get(name);
      const woken = p.idle.wakeUpsPerSecond?.get(name);
      // Embedded, the one process holds the four services.
      const limit = GOALS.idlePercent * (p.mode === 'embedded' ? 4 : 1);
      const goal = p.cpuMs.has(name) ? (percent <= limit ? 'met' : `MISSED: > ${limit}%`) : '';
      lines.push(
        `| ${p.mode} | ${name} | ${two(percent)} | ${commits === undefined ? '' : one(commits)} | ${woken === undefined ? '' : int(woken)} | ${goal} |`,
      );
    }
  }
  return lines.join('\n');
}
