export type SystemName = 'ours' | 'raw';

/** A latency run: events at a fixed rate through one pipeline, each timed from its start to its end. */
export interface LatencySpec {
  /** Distinguishes the streams, relay, consumer group and topic of one run from every other run. */
  readonly tag: string;
  readonly topic: string;
  /** Events per second, sent open-loop: on schedule, whether or not earlier ones are done. */
  readonly rate: number;
  /** Events measured: `rate` × the measured seconds. */
  readonly events: number;
  /** Events sent at the rate, and waited for, before the measured ones. */
  readonly warmupEvents: number;
  /** The consumer's `maxWaitTimeInMs`: how long a fetch waits when there is nothing to fetch. */
  readonly maxWaitMs: number;
}

export type Request =
  | {
      readonly id: number;
      readonly op: 'fill';
      readonly events: number;
      readonly eventsPerAppend: number;
      readonly writers: number;
    }
  | { readonly id: number; readonly op: 'prepare'; readonly topic: string; readonly warmupRecords: number }
  | {
      readonly id: number;
      readonly op: 'throughput';
      readonly tag: string;
      readonly topic: string;
      readonly batchSize: number;
    }
  | { readonly id: number; readonly op: 'latency'; readonly spec: LatencySpec }
  | {
      readonly id: number;
      readonly op: 'drain';
      readonly tag: string;
      readonly topic: string;
      readonly events: number;
    }
  | { readonly id: number; readonly op: 'close' };

export interface Filled {
  readonly kind: 'filled';
  readonly events: number;
  readonly streams: number;
  readonly ms: number;
}

/** The records one system will send in the throughput rows, summed up so the two can be compared. */
export interface Prepared {
  readonly kind: 'prepared';
  readonly records: number;
  /** SHA-256 over every record's topic, key, value and headers, in order. */
  readonly digest: string;
  readonly keyBytes: number;
  readonly valueBytes: number;
  readonly headerBytes: number;
  readonly headers: number;
}

export interface Throughput {
  readonly kind: 'throughput';
  readonly ms: number;
  readonly events: number;
  readonly batches: number;
  /** CPU time this process spent, user and system, while it measured. */
  readonly cpuUs: number;
}

export interface Latency {
  readonly kind: 'latency';
  /** Milliseconds, ascending: one per measured event. */
  readonly samples: readonly number[];
  /** The same events' latency split at points along the pipeline, each ascending. */
  readonly stages?: Readonly<Record<string, readonly number[]>>;
  /** Events per second the writer actually sent over the measured events. */
  readonly achievedRate: number;
  /** Measured events over the time from the first one's start to the last one's end. */
  readonly deliveredRate: number;
  /** Records per batch the relay published, over the whole run. */
  readonly eventsPerRelayBatch?: number;
  readonly cpuUs: number;
  readonly ms: number;
}

/** How fast consumers work through a backlog, in events per second, by consumer. */
export interface Drain {
  readonly kind: 'drain';
  readonly rates: Readonly<Record<string, number>>;
}

export type Measurement = Filled | Prepared | Throughput | Latency | Drain;

export type Response =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly id: number; readonly result: Measurement | null }
  | { readonly kind: 'failed'; readonly id: number; readonly error: string };

/** Longest a pipeline may take to deliver what it was sent. */
const TIMEOUT_MS = 600_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `send(n)` for n = first … first+count-1 at `rate` per second from now, without waiting for
 * one to finish before the next is due (an open loop, so a slow event does not hide the ones behind
 * it), and resolves when all have settled with the ids they sent and the rate achieved.
 */
export async function atRate(
  first: number,
  count: number,
  rate: number,
  send: (n: number) => Promise<string>,
): Promise<{ ids: string[]; achievedRate: number }> {
  const interval = 1000 / rate;
  const started = performance.now();
  const pending: Array<Promise<string>> = [];
  for (let i = 0; i < count; i++) {
    const wait = started + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    const sent = send(first + i);
    sent.catch(() => undefined); // awaited below, with the others
    pending.push(sent);
  }
  const sentIn = performance.now() - started;
  const ids = await Promise.all(pending);
  return { ids, achievedRate: count > 1 ? ((count - 1) * 1000) / sentIn : rate };
}

export interface RateRun {
  /** Ids of the measured events, in the order they were sent. */
  readonly ids: readonly string[];
  readonly achievedRate: number;
  readonly cpuUs: number;
  readonly ms: number;
}

/**
 * A latency run from an idle pipeline: single events until the first one arrives (the consumer has
 * joined its group), then `warmupEvents` at the rate until all have arrived, then the measured events
 * at the rate until all have arrived. `send` resolves with the id of the event it sent; `arrived`
 * tells whether that event has reached the end of the pipeline.
 */
export async function runAtRate(
  spec: LatencySpec,
  send: (n: number) => Promise<string>,
  arrived: (id: string) => boolean,
  failure: () => unknown,
): Promise<RateRun> {
  const check = () => {
    const error = failure();
    if (error !== undefined) throw error;
  };
  let n = 0;
  for (const deadline = performance.now() + 60_000; ;) {
    const id = await send(n++);
    const giveUpAt = performance.now() + 500;
    while (!arrived(id) && performance.now() < giveUpAt) await sleep(5);
    check();
    if (arrived(id)) break;
    if (performance.now() > deadline) throw new Error(`nothing arrived within 60 s (${spec.tag})`);
  }
  const warm = await atRate(n, spec.warmupEvents, spec.rate, send);
  n += spec.warmupEvents;
  const all = (ids: readonly string[]) => () => {
    check();
    return ids.every((id) => arrived(id));
  };
  await until(`the warm-up events of ${spec.tag}`, all(warm.ids), TIMEOUT_MS, 5);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { ids, achievedRate } = await atRate(n, spec.events, spec.rate, send);
  await until(`the events of ${spec.tag}`, all(ids), TIMEOUT_MS, 5);
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { ids, achievedRate, cpuUs: user + system, ms };
}

/** Waits until `condition` holds, checking every `everyMs`; throws after `timeoutMs`. */
export async function until(
  what: string,
  condition: () => boolean,
  timeoutMs: number,
  everyMs = 2,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Events per second from the first to the last of `times` (ascending, in ms). */
export function rateOf(times: readonly number[]): number {
  return times.length > 1 ? ((times.length - 1) * 1000) / (times[times.length - 1]! - times[0]!) : Number.NaN;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
