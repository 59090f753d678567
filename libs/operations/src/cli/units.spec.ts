/**
 * `cancuoc units` (issue 21): a unit looked up by code or by name (diacritics ignored) in the
 * official lists libs/identity holds, with its history and successors — offline, nothing called.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureRun } from './capture.js';
import { unitsCommand } from './units.js';

const run = (...argv: string[]) => captureRun(unitsCommand, argv, {});

describe('cancuoc units', () => {
  it('finds a ward by its name without diacritics, with the communes it was formed from', async () => {
    const r = await run('thu', 'dau', 'mot');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Phường Thủ Dầu Một \(25747\), Thành phố Hồ Chí Minh$/m);
    assert.match(r.stdout, /maps: 2025-07-01; 2026-04-30/);
    assert.match(
      r.stdout,
      /predecessors: Phường Hiệp Thành \(25741\), Tỉnh Bình Dương; Phường Phú Cường \(25747\)/,
    );
  });

  it('gives every version of a reused code, and a divided commune’s successors', async () => {
    const reused = await run('25747', '--json');
    assert.equal(reused.code, 0, reused.stderr);
    const { units } = JSON.parse(reused.stdout) as {
      units: Array<{
        name: string;
        maps: string[];
        district: { name: string } | null;
        today: { units: string[] };
      }>;
    };
    assert.deepEqual(
      units.map((u) => [u.name, u.maps, u.district?.name ?? null]),
      [
        ['Phường Phú Cường', ['2025-03-01'], 'Thành phố Thủ Dầu Một'],
        ['Phường Thủ Dầu Một', ['2025-07-01', '2026-04-30'], null],
      ],
    );
    assert.deepEqual(units[0]!.today.units, ['Phường Thủ Dầu Một (25747), Thành phố Hồ Chí Minh']);
    const divided = await run('25741');
    assert.match(
      divided.stdout,
      /today: divided among Phường Thủ Dầu Một \(25747\), Thành phố Hồ Chí Minh; Phường Phú Lợi \(25750\), Thành phố Hồ Chí Minh \(needs recoding\)/,
    );
  });

  it('narrows by level and day; a province merged away shows where it lies today', async () => {
    const r = await run('BINH DUONG', '--level', 'province');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Tỉnh Bình Dương \(074\)$/m);
    assert.match(r.stdout, /today: Thành phố Hồ Chí Minh \(079\)/);
    const gone = await run('074', '--on', '2026-01-01');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no unit has this code/);
  });

  it('refuses a wrong command line (exit 2) and a name nothing has (exit 1)', async () => {
    assert.equal((await run()).code, 2);
    assert.equal((await run('hue', '--level', 'district')).code, 2);
    assert.equal((await run('hue', '--on', '2025-02-30')).code, 2);
    const none = await run('nowhere at all');
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
  });
});
