import type { Database, Leadership } from '@cancuoc/eventstore';
import type { Enrollment } from './enrollment.js';
import type { PipelineStep } from './read-model.js';

export interface ReprocessorOptions {
  /** How often due steps are looked for when nothing wakes the re-processor. */
  readonly pollIntervalMs: number;
  readonly batchSize?: number;
  /** Told about unexpected failures (never personal data: errors carry none). */
  readonly onError?: (error: unknown) => void;
}

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

  constructor(
    private readonly enrollment: Enrollment,
    private readonly db: Database,
    private readonly options: ReprocessorOptions,
  ) {}

  get leading(): boolean {
    return this.leadership !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.enrollment.onStepPending = () => this.wake();
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
    await this.leadership?.release();
    this.leadership = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        if (!this.leadership) {
          this.leadership = await this.db.tryLead('enrollment-reprocessor');
          void this.leadership?.lost.then(() => (this.leadership = undefined));
        }
        if (this.leadership) busy = await this.batch();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!busy) await this.pause();
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

  private pause(): Promise<void> {
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
      const timer = setTimeout(done, this.options.pollIntervalMs);
      this.wakeUp = done;
    });
  }
}
