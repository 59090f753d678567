import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duration, progressBar, progressLine, summaryText } from './progress-bar.js';

const progress = {
  importId: 'hn-2026-11',
  rows: 104_512,
  accepted: 104_400,
  rejected: 112,
  batches: 105,
  bytesDone: 5_000,
  fileBytes: 10_000,
  elapsedMs: 9_000,
  rowsPerSecond: 11_612.4,
  etaSeconds: 9.2,
};

describe('import progress display', () => {
  it('draws a bar over the bytes committed, with counts, rate and time left', () => {
    assert.equal(
      progressBar(progress, 10),
      '[█████░░░░░]  50.0% · 104,512 rows · 104,400 registered · 112 rejected · 11,612 rows/s · ETA 0:09',
    );
    assert.equal(
      progressLine({ ...progress, etaSeconds: undefined }),
      'import hn-2026-11: 50.0% · 104,512 rows · 104,400 registered · 112 rejected · 11,612 rows/s',
    );
    assert.deepEqual([duration(59.6), duration(3_725)], ['1:00', '1:02:05']);
  });

  it('sums up a finished, a resumed and a stopped import', () => {
    const done = { ...progress, status: 'completed' as const, resumedAtRow: 4_512, etaSeconds: 0 };
    assert.equal(
      summaryText(done, 'people.csv.rejections.ndjson'),
      [
        'import hn-2026-11: completed',
        '  rows:       104,512 (104,400 registered, 112 rejected)',
        '  resumed at: row 4,512',
        '  this run:   100,000 rows in 0:09 (11,612 rows/s)',
        '  rejections: people.csv.rejections.ndjson',
        '',
      ].join('\n'),
    );
    assert.match(summaryText({ ...done, elapsedMs: 0 }, undefined), /already completed; nothing to do/);
    assert.match(
      summaryText({ ...done, status: 'interrupted' }, undefined),
      /stopped; run the same command again to resume after row 104,512/,
    );
  });
});
