import type { Database, Leadership } from '@cancuoc/eventstore';
import type { Enrollment } from './enrollment.js';
import type { PipelineStep } from './read-model.js';

export interface ReprocessorOptions {
  /**
   * Longest wait when nothing wakes the re-processor: a submission (on any instance: they NOTIFY
   * `STEP_PENDING_CHANNEL`) or the next due step's time wakes it; this is the safety net for a lost
   * notification. A standby instance tries to take the lead at most every `STANDBY_POLL_MS`.
   */
  readonly pollIntervalMs: number;
  readonly batchSize?: number;
  /** Told about unexpected failures (never personal data: errors carry none). */
  readonly onError?: (error: unknown) => void;
}

/** NOTIFY channel that says a step was queued to run now (a submission for review). */
export const STEP_PENDING_CHANNEL = 'enr_step_pending';

/** How often an instance that does not lead tries to: how long a failover takes at most. */
const STANDBY_POLL_MS = 5_000;

/**
 * The re-processor (MOSIP's name for it): runs every pipeline step that is due — the register
 * lookup of an application started while the register was down, the duplicate check of one
 * submitted for review — and, when the dependency fails again, leaves it pending with a longer
 * backoff. One instance leads (a session lock), so duplicate checks run one at a time and two
 * applications of one person submitted together cannot both miss each other.
 */
export class Reprocessor {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private leadership: Leadership | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly enrollment: Enrollment,
    private readonly db: Database,
    private readonly options: ReprocessorOptions,
  ) {}

  get leading(): boolean {
    return this.leadership !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // The leader may be another instance: the submission is announced to all of them.
    this.enrollment.onStepPending = () => {
      this.wake();
      this.db.notify(STEP_PENDING_CHANNEL);
    };
    this.unlisten = await this.db.listen(STEP_PENDING_CHANNEL, () => this.wake());
    this.loop = this.run();
  }

  /** Looks for due steps now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Finishes the step in hand, then stops and gives up the lead. */
  async stop(): Promise<void> {
    this.running = false;
    this.enrollment.onStepPending = () => undefined;
    this.wake();
    await this.loop;
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.leadership?.release();
    this.leadership = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      let wait = Math.min(this.options.pollIntervalMs, STANDBY_POLL_MS);
      try {
        if (!this.leadership) {
          this.leadership = await this.db.tryLead('enrollment-reprocessor');
          void this.leadership?.lost.then(() => (this.leadership = undefined));
        }
        if (this.leadership) {
          busy = await this.batch();
          // Steps put off after a failure are due at a time: sleep until the first of them.
          if (!busy) wait = await this.untilNextDue();
        }
      } catch (error) {
        this.options.onError?.(error);
        wait = this.options.pollIntervalMs > 1_000 ? 1_000 : this.options.pollIntervalMs;
      }
      if (!busy) await this.pause(wait);
    }
  }

  /** Runs one batch of due steps; true when the batch was full (more may be due). */
  private async batch(): Promise<boolean> {
    const size = this.options.batchSize ?? 20;
    const due = await this.enrollment.dueSteps(size);
    for (const applicationId of due) {
      if (!this.running) break;
      await this.runOne(applicationId);
    }
    return due.length === size;
  }

  private async runOne(applicationId: string): Promise<void> {
    let step: PipelineStep | undefined;
    try {
      step = (await this.enrollment.view(applicationId)).pendingStep?.step;
      await this.enrollment.runStep(applicationId);
    } catch (error) {
      this.options.onError?.(error);
      // A step that fails for an unexpected reason is put off like any other, and shows as stuck.
      if (step)
        await this.enrollment.recordFailure(applicationId, step, 'INTERNAL_ERROR').catch(() => undefined);
    }
  }

  /** Until the next pending step is due (at least 50 ms), at most the poll interval. */
  private async untilNextDue(): Promise<number> {
    const dueInMs = (await this.enrollment.nextStepDueInMs()) ?? Infinity;
    return Math.min(this.options.pollIntervalMs, Math.max(50, dueInMs));
  }

  private pause(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
