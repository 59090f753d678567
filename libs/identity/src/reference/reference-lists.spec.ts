import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalendarDate } from '../dates/calendar-date.js';
import { InconsistentReferenceDataError } from '../errors.js';
import { ETHNIC_GROUPS } from './ethnic-groups.js';
import { NATIONALITIES } from './nationalities.js';
import { day, ReferenceList, referenceKey } from './reference-list.js';
import { RELIGIONS } from './religions.js';

describe('reference lists', () => {
  it('holds the 249 ISO 3166-1 alpha-3 codes, matched by code in any case', () => {
    assert.equal(NATIONALITIES.latest.entries.length, 249);
    assert.ok(NATIONALITIES.latest.entries.every((e) => /^[A-Z]{3}$/.test(e.code)));
    assert.equal(NATIONALITIES.lookup('VNM')?.code, 'VNM');
    assert.equal(NATIONALITIES.lookup(' vnm ')?.code, 'VNM');
    assert.equal(NATIONALITIES.lookup('LAO')?.name, "Lao People's Democratic Republic");
    for (const unknown of ['ZZZ', 'XXX', 'YUG', 'VN', 'Vietnam', 'Viet Nam', '', 'VNMM']) {
      assert.equal(NATIONALITIES.lookup(unknown), undefined, unknown);
    }
  });

  it('holds the 54 ethnic groups with the statistics office codes, matched by code, name or spelling', () => {
    const groups = ETHNIC_GROUPS.latest.entries;
    assert.equal(groups.length, 54);
    assert.deepEqual(
      groups.map((g) => g.code),
      Array.from({ length: 54 }, (_, i) => String(i + 1).padStart(2, '0')),
    );
    assert.equal(ETHNIC_GROUPS.lookup('Kinh')?.code, '01');
    assert.equal(ETHNIC_GROUPS.lookup('08')?.name, 'Mông');
    for (const spelling of ["H'Mông", 'H’Mông', 'HMÔNG', 'hmong', 'Mèo']) {
      assert.equal(ETHNIC_GROUPS.lookup(spelling)?.name, 'Mông', spelling);
    }
    for (const spelling of ['Gia-rai', 'gia rai', 'GIA RAI', 'Giarai']) {
      assert.equal(ETHNIC_GROUPS.lookup(spelling)?.code, '10', spelling);
    }
    assert.equal(ETHNIC_GROUPS.lookup('Ê-đê')?.name, 'Ê Đê');
    assert.equal(ETHNIC_GROUPS.lookup('Khơ me')?.name, 'Khmer');
    for (const unknown of ['Klingon', '55', '99', 'Người nước ngoài', 'Không rõ', '']) {
      assert.equal(ETHNIC_GROUPS.lookup(unknown), undefined, unknown);
    }
  });

  it('holds the recognised religions as versions: a religion counts from the version that added it', () => {
    assert.deepEqual(
      RELIGIONS.versions.map((v) => v.entries.length),
      [14, 15, 17],
    );
    assert.equal(RELIGIONS.lookup('Không')?.code, '00');
    assert.equal(RELIGIONS.lookup('Phat giao')?.name, 'Phật giáo');
    assert.equal(
      RELIGIONS.lookup('Phật giáo Hoà Hảo')?.name,
      'Phật giáo Hòa Hảo',
      'old-style tone placement',
    );
    assert.equal(RELIGIONS.lookup('Thiên Chúa giáo')?.name, 'Công giáo');
    assert.equal(RELIGIONS.lookup('Mặc Môn', day('2014-05-29')), undefined);
    assert.equal(RELIGIONS.lookup('Mặc Môn', day('2014-05-30'))?.code, '14');
    assert.equal(RELIGIONS.lookup('Cơ đốc Phục lâm', day('2018-10-31')), undefined);
    assert.equal(RELIGIONS.lookup('Cơ đốc Phục lâm')?.code, '16');
    assert.equal(RELIGIONS.lookup('Phật giáo', day('2000-01-01')), undefined, 'no version before the first');
    assert.equal(RELIGIONS.lookup('Pastafarianism'), undefined);
  });

  it('matches spellings by one key: case, diacritics, spaces, hyphens and apostrophes ignored', () => {
    assert.equal(referenceKey('  Gia-Rai '), 'giarai');
    assert.equal(referenceKey('H’Mông'), 'hmong');
    assert.equal(referenceKey('Đạo Phật'), 'daophat');
    assert.equal(ETHNIC_GROUPS.lookup('x'.repeat(10_000)), undefined);
  });

  it('refuses data that would make a spelling ambiguous, codes twice, or versions out of order', () => {
    const version = (entries: { code: string; name: string; aliases?: string[] }[], from = '2020-01-01') => ({
      version: from,
      validFrom: CalendarDate.parse(from),
      source: 'test',
      entries,
    });
    assert.throws(
      () =>
        new ReferenceList(
          't',
          [
            version([
              { code: '1', name: 'Thái' },
              { code: '2', name: 'Thai' },
            ]),
          ],
          'code-or-name',
        ),
      InconsistentReferenceDataError,
    );
    assert.throws(
      () =>
        new ReferenceList(
          't',
          [
            version([
              { code: '1', name: 'A' },
              { code: '1', name: 'B' },
            ]),
          ],
          'code',
        ),
      InconsistentReferenceDataError,
    );
    assert.throws(
      () => new ReferenceList('t', [version([{ code: '1', name: 'Ê Đê'.normalize('NFD') }])], 'code-or-name'),
      InconsistentReferenceDataError,
    );
    assert.throws(
      () =>
        new ReferenceList(
          't',
          [
            version([{ code: '1', name: 'A' }], '2021-01-01'),
            version([{ code: '1', name: 'A' }], '2020-01-01'),
          ],
          'code',
        ),
      InconsistentReferenceDataError,
    );
  });
});
