/** How a `Progress` draws: a terminal's width, and a clock (tests give their own). */
export interface ProgressOptions {
  /** The terminal's width: longer bar lines are cut, since a wrapped line breaks the redraw. */
  readonly columns?: number | undefined;
  readonly now?: () => number;
}

interface Counter {
  done: number;
  total: number;
  startedAt: number;
  /** Non-terminal: the tenth last printed, and the count it was printed at. */
  step: number;
  printed: number | undefined;
}

/**
 * Progress of a few counters on stderr: bars redrawn in place with their rate on a terminal, plain
 * lines otherwise — one per counter at every tenth of its total, and at `end()` one more for each
 * counter that stopped between tenths (an interrupted run) — so logs and CI output stay readable.
 */
export class Progress {
  private readonly counters = new Map<string, Counter>();
  private readonly now: () => number;
  private readonly columns: number | undefined;
  private drawn = 0;
  private lastDraw = 0;
  private ended = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.columns = options.columns && options.columns > 0 ? options.columns : undefined;
  }

  track(label: string, total: number): void {
    if (this.ended) return;
    this.counters.set(label, { done: 0, total, startedAt: this.now(), step: 0, printed: undefined });
    this.draw(true);
  }

  tick(label: string, by = 1): void {
    const c = this.counters.get(label);
    if (!c || this.ended || by <= 0) return;
    c.done = Math.min(c.total, c.done + by);
    if (this.tty) this.draw(c.done === c.total);
    else {
      const step = c.total === 0 ? 10 : Math.floor((c.done * 10) / c.total);
      if (step > c.step) {
        c.step = step;
        this.print(label, c);
      }
    }
  }

  /**
   * A line of its own among the bars (e.g. "Stopping…"): on a terminal, below the bars as they
   * are, which are then drawn afresh under it; after `end()`, just the line.
   */
  note(text: string): void {
    if (!this.tty || this.ended || this.drawn === 0) {
      this.write(`${text}\n`);
      return;
    }
    this.write(`\n${text}\n`);
    this.drawn = 0;
    this.draw(true);
  }

  /**
   * The last word: on a terminal the bars redrawn and the cursor left on the line below them; in
   * plain lines the counters not printed at their current count. Nothing is written after it.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.tty) {
      if (this.counters.size === 0) return;
      this.draw(true, true);
      this.write('\n');
    } else {
      for (const [label, c] of this.counters) if (c.printed !== c.done) this.print(label, c);
    }
  }

  private print(label: string, c: Counter): void {
    c.printed = c.done;
    this.write(`${this.line(label, c)}\n`);
  }

  private line(label: string, c: Counter): string {
    const seconds = (this.now() - c.startedAt) / 1000;
    const rate = seconds > 0 ? (c.done / seconds).toFixed(1) : '0.0';
    const count = `${String(c.done).padStart(5)}/${c.total} ${rate}/s`;
    if (!this.tty) return `${label.padEnd(18)} ${count}`;
    const width = 28;
    const filled = c.total === 0 ? width : Math.round((c.done / c.total) * width);
    const text = `${label.padEnd(18)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}`;
    // One column short of the width: a line that fills it leaves some terminals' cursor on the next.
    return this.columns && text.length >= this.columns ? text.slice(0, this.columns - 1) : text;
  }

  private draw(force: boolean, final = false): void {
    if (!this.tty || (this.ended && !final)) return;
    const now = this.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const up = this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : '';
    const lines = [...this.counters.entries()].map(([label, c]) => `\r\x1b[2K${this.line(label, c)}`);
    this.write(`${up}${lines.join('\n')}`);
    this.drawn = lines.length;
  }
}
