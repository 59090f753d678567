/**
 * Progress of a few counters on stderr: bars redrawn in place with their rate on a terminal, plain
 * lines (every 10 %, and at the end) otherwise, so logs and CI output stay readable.
 */
export class Progress {
  private readonly counters = new Map<
    string,
    { done: number; total: number; startedAt: number; step: number }
  >();
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  track(label: string, total: number): void {
    this.counters.set(label, { done: 0, total, startedAt: Date.now(), step: 0 });
    this.draw(true);
  }

  tick(label: string, by = 1): void {
    const c = this.counters.get(label);
    if (!c) return;
    c.done = Math.min(c.total, c.done + by);
    if (this.tty) this.draw(c.done === c.total);
    else {
      const step = c.total === 0 ? 10 : Math.floor((c.done * 10) / c.total);
      if (step > c.step) {
        c.step = step;
        this.write(`${this.line(label, c)}\n`);
      }
    }
  }

  /** Redraws a last time and leaves the cursor below the bars. */
  end(): void {
    if (this.tty) {
      this.draw(true);
      this.write('\n');
    }
  }

  private line(label: string, c: { done: number; total: number; startedAt: number }): string {
    const seconds = (Date.now() - c.startedAt) / 1000;
    const rate = seconds > 0 ? (c.done / seconds).toFixed(1) : '0.0';
    const width = 28;
    const filled = c.total === 0 ? width : Math.round((c.done / c.total) * width);
    const bar = this.tty ? ` [${'█'.repeat(filled)}${'░'.repeat(width - filled)}]` : '';
    return `${label.padEnd(18)}${bar} ${String(c.done).padStart(5)}/${c.total} ${rate}/s`;
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const up = this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : '';
    const lines = [...this.counters.entries()].map(([label, c]) => `\r\x1b[2K${this.line(label, c)}`);
    this.write(`${up}${lines.join('\n')}`);
    this.drawn = lines.length;
  }
}
