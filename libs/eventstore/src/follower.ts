import type { Database } from './database.js';

/** What one step of a follower did: read `read` events, a full batch or not; or nothing to do yet. */
export type FollowStep = { readonly read: number; readonly full: boolean } | 'idle';

export interface FollowerOptions {
  readonly db: Database;
  /** NOTIFY channel that says the log grew. */
  readonly channel: string;
  /** Reads and handles one batch. Throwing makes the follower pause and try again. */
  readonly step: () => Promise<FollowStep>;
  /** Longest wait between steps when no NOTIFY arrives (a dropped listen connection, say). */
  readonly pollIntervalMs: number;
  /** Pauses after failing steps grow from this, doubling, up to `maxBackoffMs`. */
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly onError?: ((error: unknown) => void) | undefined;
}

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
    const unlisten = await this.options.db.listen(this.options.channel, () => this.notify());
    this.running = this.loop().finally(() => unlisten());
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

  private async waitForWake(timeoutMs: number): Promise<void> {
    if (this.notified || this.stopRequested) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async loop(): Promise<void> {
    const { pollIntervalMs } = this.options;
    let failures = 0;
    let settleDelay = 0;
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
      if (outcome !== 'idle' && outcome.full) continue;
      if (outcome !== 'idle' && outcome.read === 0 && wokenByNotify) {
        settleDelay = Math.min(Math.max(settleDelay * 2, 10), pollIntervalMs);
        await this.waitForWake(settleDelay);
        this.notified = true;
        continue;
      }
      settleDelay = 0;
      await this.waitForWake(pollIntervalMs);
    }
  }
}
