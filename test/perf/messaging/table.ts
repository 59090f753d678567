import { percentile } from './workload.js';

export interface ThroughputRow {
  readonly workload: string;
  /** Events per second. */
  readonly ours: number;
  readonly raw: number;
}

export interface LatencyRow {
  readonly pipeline: string;
  readonly maxWaitMs: number;
  /** Events per second sent, and delivered: below the rate sent, the pipeline fell behind. */
  readonly rate: number;
  readonly deliveredRate: number;
  /** Milliseconds, ascending. */
  readonly samples: readonly number[];
}

export interface DrainRow {
  readonly consumer: string;
  /** Events per second. */
  readonly rate: number;
}

/** The goal: the relay publishes at least 0.7× as fast as kafkajs sending the same records. */
export const GOAL_VS_RAW = 0.7;

function rate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

export function throughputTable(rows: readonly ThroughputRow[]): string {
  const lines = [
    `| Workload | Metric | Cancuoc Relay | raw kafkajs | Relay/raw | Goal (≥${GOAL_VS_RAW}× raw) |`,
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const ratio = row.ours / row.raw;
    lines.push(
      `| ${row.workload} | events/s | ${rate(row.ours)} | ${rate(row.raw)} | ${ratio.toFixed(2)}× | ` +
        `${ratio < GOAL_VS_RAW ? `MISSED: below ${GOAL_VS_RAW}× raw` : 'met'} |`,
    );
  }
  return lines.join('\n');
}

export function latencyTable(rows: readonly LatencyRow[]): string {
  const lines = [
    '| Pipeline | Consumer max wait | Sent/s | Delivered/s | Events | p50 ms | p95 ms | p99 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const s = row.samples;
    lines.push(
      `| ${row.pipeline} | ${row.maxWaitMs} ms | ${rate(row.rate)} | ${rate(row.deliveredRate)} | ` +
        `${s.length.toLocaleString('en-US')} | ` +
        `${ms(percentile(s, 0.5))} | ${ms(percentile(s, 0.95))} | ${ms(percentile(s, 0.99))} | ` +
        `${ms(s[s.length - 1] ?? Number.NaN)} |`,
    );
  }
  return lines.join('\n');
}

export function drainTable(events: number, rows: readonly DrainRow[]): string {
  const lines = [
    `| Consumer draining a backlog of ${events.toLocaleString('en-US')} records | events/s |`,
    '| --- | ---: |',
  ];
  for (const row of rows) lines.push(`| ${row.consumer} | ${rate(row.rate)} |`);
  return lines.join('\n');
}
