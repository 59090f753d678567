import { PAYLOADS, type BenchEvent } from './payload.js';

export type SystemName = 'ours' | 'emmett' | 'raw';

/** What the benchmark asks of each system; each adapter does it the way that system is meant to be used. */
export interface SystemUnderTest {
  /**
   * Appends `events` to `streamId`, which must be at `expectedVersion` (0: the stream must not exist
   * yet). Rejects when it is not.
   */
  append(streamId: string, events: readonly BenchEvent[], expectedVersion: number): Promise<void>;
  /** Reads the log from its start in pages of `pageSize`, at most `maxPages`; yields the events read. */
  readAll(pageSize: number, maxPages: number): Promise<number>;
  close(): Promise<void>;
}

export interface AppendSpec {
  /** Distinguishes the streams of one run from those of every other run. */
  readonly tag: string;
  readonly writers: number;
  readonly appendsPerWriter: number;
  readonly eventsPerAppend: number;
  /** Each writer cycles over this many streams of its own: the first pass creates them. */
  readonly streamsPerWriter: number;
}

export type Request =
  | {
      readonly id: number;
      readonly op: 'append';
      readonly spec: AppendSpec;
      readonly warmup: AppendSpec | null;
    }
  | { readonly id: number; readonly op: 'fill'; readonly totalEvents: number }
  | { readonly id: number; readonly op: 'readAll'; readonly pageSize: number; readonly warmupPages: number }
  | { readonly id: number; readonly op: 'close' };

export interface Measurement {
  readonly ms: number;
  readonly appends: number;
  readonly events: number;
  /** CPU time this process spent, user and system, while it measured. */
  readonly cpuUs: number;
  /** For a read of the whole log: how many events the log holds. */
  readonly logSize?: number;
}

export type Response =
  | { readonly kind: 'ready'; readonly database: string }
  | { readonly kind: 'done'; readonly id: number; readonly result: Measurement | null }
  | { readonly kind: 'failed'; readonly id: number; readonly error: string };

/** Runs the writers of `spec` side by side and times them from the first append to the last. */
export async function runAppends(system: SystemUnderTest, spec: AppendSpec): Promise<Measurement> {
  let payload = 0;
  const writer = async (w: number): Promise<void> => {
    const versions = new Array<number>(spec.streamsPerWriter).fill(0);
    for (let i = 0; i < spec.appendsPerWriter; i++) {
      const s = i % spec.streamsPerWriter;
      const events: BenchEvent[] = [];
      for (let k = 0; k < spec.eventsPerAppend; k++) events.push(PAYLOADS[payload++ % PAYLOADS.length]!);
      await system.append(`citizen-${spec.tag}w${w}s${s}`, events, versions[s]!);
      versions[s]! += spec.eventsPerAppend;
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.writers }, (_, w) => writer(w)));
  const ms = performance.now() - started;
  const { user, system: sys } = process.cpuUsage(cpu);
  const appends = spec.writers * spec.appendsPerWriter;
  return { ms, appends, events: appends * spec.eventsPerAppend, cpuUs: user + sys };
}

export function eventsOf(spec: AppendSpec): number {
  return spec.writers * spec.appendsPerWriter * spec.eventsPerAppend;
}
