/** Runs `run` every `everyMs` (one run at a time) until stopped; a failing run is reported and the next one comes on time. */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly everyMs: number,
    private readonly run: () => Promise<void>,
    private readonly onError?: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Runs now, outside the schedule, unless a run is in progress. */
  trigger(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  private tick(): void {
    this.running = this.run()
      .catch((error: unknown) => this.onError?.(error))
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }
}
