/** The progress display of `cancuoc seed` and `cancuoc demo`, on a terminal and in a log. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Progress } from './progress.js';

const ESC = '\x1b';

/** A stand-in for process.stderr: what a command sees of it, and everything written to it. */
class FakeStderr {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}

function progressOn(stream: FakeStderr, now: () => number): Progress {
  return new Progress((t) => void stream.write(t), stream.isTTY, { columns: stream.columns, now });
}

/**
 * What a terminal shows after `text`: carriage return, line feed (a terminal's output processing
 * makes it CR LF), erase line (ESC [2K), cursor up (ESC [nA), and wrapping at `columns`. Anything
 * else that starts with ESC fails the test, as does moving above the first line.
 */
function screen(text: string, columns = 1000): { lines: string[]; row: number; col: number } {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    if (col >= columns) {
      row += 1;
      col = 0;
    }
    while (lines.length <= row) lines.push('');
    const line = lines[row]!.padEnd(col);
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col += 1;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      col = 0;
      while (lines.length <= row) lines.push('');
    } else if (ch === ESC) {
      const escape = /^\[(\d*)([A-Za-z])/.exec(text.slice(i + 1));
      assert.ok(escape, `unexpected escape at ${i}: ${JSON.stringify(text.slice(i, i + 8))}`);
      const [sequence, n, code] = escape;
      const whole = ESC + sequence;
      if (code === 'K' && n === '2') lines[row] = '';
      else if (code === 'A') {
        row -= Number(n || '1');
        assert.ok(row >= 0, 'the cursor went above the first line');
      } else assert.fail(`unexpected escape ${JSON.stringify(whole)}`);
      i += whole.length - 1;
    } else put(ch);
  }
  return { lines, row, col };
}

describe('progress in a log (not a terminal)', () => {
  it('prints one plain line per tenth, with counts and rate, and no escape codes', () => {
    const err = new FakeStderr(false);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('registered', 20);
    assert.equal(err.text, '', 'nothing until the first tenth');
    for (let i = 0; i < 20; i++) {
      time.advance(100);
      progress.tick('registered');
    }
    progress.end();
    const lines = err.text.split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a line feed');
    assert.equal(lines.length, 10);
    lines.forEach((line, i) =>
      assert.equal(line, `registered         ${String((i + 1) * 2).padStart(5)}/20 10.0/s`),
    );
    for (const mark of [ESC, '\r', '█', '░']) assert.ok(!err.text.includes(mark), JSON.stringify(mark));
  });

  it('says where each counter stopped when the run ends between tenths', () => {
    const err = new FakeStderr(false);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('registered', 20);
    progress.track('enrolled', 20);
    progress.track('cards issued', 5);
    time.advance(2_000);
    for (let i = 0; i < 7; i++) progress.tick('registered');
    progress.tick('enrolled', 4);
    progress.tick('enrolled', 0);
    progress.end();
    progress.tick('registered');
    progress.end();
    assert.deepEqual(err.text.split('\n'), [
      'registered             2/20 1.0/s',
      'registered             4/20 2.0/s',
      'registered             6/20 3.0/s',
      'enrolled               4/20 2.0/s',
      'registered             7/20 3.5/s',
      'cards issued           0/5 0.0/s',
      '',
    ]);
  });

  it('never counts past the total, and ignores counters it was not told of', () => {
    const err = new FakeStderr(false);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('cards encoded', 3);
    time.advance(1_000);
    progress.tick('cards encoded', 5);
    progress.tick('cards encoded');
    progress.tick('unknown');
    progress.end();
    assert.equal(err.text, 'cards encoded          3/3 3.0/s\n');
  });
});

describe('progress on a terminal', () => {
  it('redraws every bar in place and leaves the cursor below them at the end', () => {
    const err = new FakeStderr(true, 120);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('registered', 4);
    progress.track('enrolled', 4);
    progress.track('cards issued', 4);
    for (let i = 0; i < 4; i++) {
      time.advance(250);
      progress.tick('registered');
      progress.tick('enrolled');
      if (i < 2) progress.tick('cards issued');
    }
    progress.end();
    const shown = screen(err.text, 120);
    assert.deepEqual(shown.lines, [
      `registered         [${'█'.repeat(28)}]     4/4 4.0/s`,
      `enrolled           [${'█'.repeat(28)}]     4/4 4.0/s`,
      `cards issued       [${'█'.repeat(14)}${'░'.repeat(14)}]     2/4 2.0/s`,
      '',
    ]);
    assert.deepEqual([shown.row, shown.col], [3, 0], 'the cursor on the line below the bars');
    assert.ok(err.chunks.length > 4, 'redrawn as it went');
  });

  it('draws at most every 100 ms, except when a counter completes', () => {
    const err = new FakeStderr(true, 120);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('registered', 3);
    const afterTrack = err.chunks.length;
    time.advance(150);
    progress.tick('registered');
    assert.equal(err.chunks.length, afterTrack + 1, 'drawn: 150 ms since the last');
    time.advance(10);
    progress.tick('registered');
    assert.equal(err.chunks.length, afterTrack + 1, 'not drawn: 10 ms since the last');
    assert.match(screen(err.text).lines[0]!, /\s1\/3 /);
    time.advance(10);
    progress.tick('registered');
    assert.equal(err.chunks.length, afterTrack + 2, 'drawn: the counter completed');
    assert.match(screen(err.text).lines[0]!, /\s3\/3 /);
  });

  it('cuts a bar to the terminal width, so that no line wraps and the redraw stays in place', () => {
    const err = new FakeStderr(true, 40);
    const time = clock();
    const progress = progressOn(err, time.now);
    progress.track('registered', 10);
    progress.track('agency received', 10);
    for (let i = 0; i < 10; i++) {
      time.advance(200);
      progress.tick('registered');
      progress.tick('agency received');
    }
    progress.end();
    const shown = screen(err.text, 40);
    assert.equal(shown.lines.length, 3, shown.lines.join('\n'));
    assert.ok(shown.lines.every((line) => line.length < 40));
    assert.match(shown.lines[0]!, /^registered {9}\[█+$/);
    assert.match(shown.lines[1]!, /^agency received {4}\[█+$/);
  });

  it('writes nothing after end(), and nothing at all when there was nothing to show', () => {
    const err = new FakeStderr(true, 80);
    const time = clock();
    const empty = progressOn(err, time.now);
    empty.end();
    assert.equal(err.text, '');
    const progress = progressOn(err, time.now);
    progress.track('registered', 2);
    progress.end();
    const written = err.text;
    time.advance(1_000);
    progress.tick('registered', 2);
    progress.track('enrolled', 2);
    progress.end();
    assert.equal(err.text, written);
    assert.deepEqual(screen(written).lines, [`registered         [${'░'.repeat(28)}]     0/2 0.0/s`, '']);
  });
});
