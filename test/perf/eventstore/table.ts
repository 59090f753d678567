import type { SystemName } from './workload.js';

export interface Row {
  readonly workload: string;
  readonly metric: string;
  readonly rates: Readonly<Record<SystemName, number>>;
}

/** The goal: at least as fast as Emmett, and at least half as fast as raw `pg`. */
const GOAL = { emmett: 1.0, raw: 0.5 };

function rate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| Workload | Metric | Cancuoc | Emmett 0.42 | raw pg | Cancuoc/Emmett | Cancuoc/raw | Goal (≥1.0× Emmett, ≥0.5× raw) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const vsEmmett = row.rates.ours / row.rates.emmett;
    const vsRaw = row.rates.ours / row.rates.raw;
    const misses = [vsEmmett < GOAL.emmett ? 'below Emmett' : '', vsRaw < GOAL.raw ? 'below 0.5× raw' : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `| ${row.workload} | ${row.metric} | ${rate(row.rates.ours)} | ${rate(row.rates.emmett)} | ` +
        `${rate(row.rates.raw)} | ${ratio(vsEmmett)} | ${ratio(vsRaw)} | ${misses ? `MISSED: ${misses}` : 'met'} |`,
    );
  }
  return lines.join('\n');
}
