import type { Database } from './database.js';

/**
 * What one step of a follower did: read `read` events, a full batch or not; or nothing to do yet
 * (`'idle'`), or nothing until `dueInMs` from now (work that waits for a time, not for a NOTIFY).
 */
export type FollowStep =
  { readonly read: number; readonly full: boolean } | 'idle' | { readonly dueInMs: number };

export interface FollowerOptions {
  readonly db: Database;
  /** NOTIFY channel that says the log grew. */
  readonly channel: string;
  /** Reads and handles one batch. Throwing makes the follower pause and try again. */
  readonly step: () => Promise<FollowStep>;
  /**
   * Longest wait between steps when no NOTIFY arrives: the safety net for a notification that never
   * came (a writer that died between its commit and its NOTIFY, a dropped listen connection). A
   * step woken by it that finds work no NOTIFY announced re-opens the listen connection.
   */
  readonly pollIntervalMs: number;
  /** Told each time the listen connection is re-opened after such a step. */
  readonly onRelisten?: (() => void) | undefined;
  /** Pauses after failing steps grow from this, doubling, up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** The shortest wait for work due at a time (`dueInMs`). */
const MIN_DUE_WAIT_MS = 50;

/**
 * The safety poll of the log's followers when nothing sets one: NOTIFY wakes them, this only bounds
 * what a lost notification costs. Idle, a follower wakes twice a minute.
 */
export const DEFAULT_SAFETY_POLL_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * The loop shared by every reader that follows the global log (subscriptions, the relay): step at
 * once while behind, then wait for a NOTIFY or the poll interval. A NOTIFY can arrive while an older
 * transaction is still open; its events stay invisible to the ordered read until that one ends, so
 * an empty read after a wake-up is retried soon, then less often.
 */
export class Follower {
  private running: Promise<void> | undefined;
  private stopRequested = false;
  private notified = false;
  private wake: (() => void) | undefined;
  private lastError: unknown;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: FollowerOptions) {}

  /** Whether `stop()` was called: a long step should finish early. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** The error of the last failed step, until a step succeeds. */
  get failure(): unknown {
    return this.lastError;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopRequested = false;
    this.unlisten = await this.listen();
    this.running = this.loop().finally(async () => {
      await this.unlisten?.();
      this.unlisten = undefined;
    });
  }

  private listen(): Promise<() => Promise<void>> {
    return this.options.db.listen(this.options.channel, () => this.notify());
  }

  /**
   * A poll found work that no NOTIFY announced: the listen connection may be gone (its errors are
   * not reported), so a new one replaces it. A NOTIFY merely lost or late costs one needless
   * reconnection.
   */
  private async relisten(): Promise<void> {
    const previous = this.unlisten;
    this.unlisten = await this.listen();
    await previous?.();
    this.options.onRelisten?.();
  }

  /** Lets the step in progress finish, and stops. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.notify();
    await this.running;
    this.running = undefined;
  }

  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Waits for a NOTIFY (or `stop()`) or `timeoutMs`; true when the time ran out. */
  private async waitForWake(timeoutMs: number): Promise<boolean> {
    if (this.notified || this.stopRequested) return false;
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
    this.wake = undefined;
    return timedOut;
  }

  private async loop(): Promise<void> {
    const { pollIntervalMs } = this.options;
    let failures = 0;
    let settleDelay = 0;
    // Whether the step about to run was woken by the safety poll alone.
    let polled = false;
    while (!this.stopRequested) {
      const wokenByNotify = this.notified;
      this.notified = false;
      let outcome: FollowStep;
      try {
        outcome = await this.options.step();
        failures = 0;
        this.lastError = undefined;
      } catch (error) {
        failures += 1;
        this.lastError = error;
        this.options.onError?.(error);
        await sleep(Math.min(this.options.initialBackoffMs * 2 ** (failures - 1), this.options.maxBackoffMs));
        continue;
      }
      const read = typeof outcome === 'object' && 'read' in outcome ? outcome : undefined;
      if (polled && !wokenByNotify && read && read.read > 0) {
        await this.relisten().catch((error: unknown) => this.options.onError?.(error));
      }
      polled = false;
      if (read?.full) continue;
      if (read && read.read === 0 && wokenByNotify) {
        settleDelay = Math.min(Math.max(settleDelay * 2, 10), pollIntervalMs);
        await this.waitForWake(settleDelay);
        this.notified = true;
        continue;
      }
      settleDelay = 0;
      const dueInMs = typeof outcome === 'object' && 'dueInMs' in outcome ? outcome.dueInMs : Infinity;
      // A due time already passed (a row another instance holds for a moment) is looked at again
      // after a short pause, not in a tight loop.
      const wait = Math.min(pollIntervalMs, Math.max(MIN_DUE_WAIT_MS, dueInMs));
      polled = (await this.waitForWake(wait)) && wait === pollIntervalMs;
    }
  }
}
