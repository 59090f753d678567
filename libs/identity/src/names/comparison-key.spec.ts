import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../test-support/seeded-random.js';
import { nameComparisonKey } from './comparison-key.js';
import { normalizeName } from './normalize.js';

describe('nameComparisonKey', () => {
  it('brings spellings of one name to one key', () => {
    const key = 'nguyen thi anh dao';
    for (const spelling of [
      'Nguyễn Thị Ánh Đào',
      'NGUYỄN  thị Ánh-Đào',
      'Nguyen Thi Anh Dao',
      'Nguyễn Thị Ánh Đào'.normalize('NFD'),
      ' nguyễn\tthị  ánh đào ',
    ]) {
      assert.equal(nameComparisonKey(spelling), key, spelling);
    }
    assert.equal(nameComparisonKey('H’Hen Niê'), nameComparisonKey("H'Hen Nie"));
    assert.equal(nameComparisonKey("H'Hen Niê"), 'hhen nie');
  });

  it('is the same before and after normalisation, and idempotent', () => {
    const syllables = [
      'Nguyễn',
      'trần',
      'LÊ',
      'Thị',
      'văn',
      'Ánh',
      'đào',
      'Hoà',
      'Hòa',
      'Quỳnh',
      "H'Hen",
      'Niê',
      'Thuỷ',
    ];
    const random = seededRandom(13);
    for (let i = 0; i < 1000; i++) {
      const words = Array.from({ length: 1 + random.int(5) }, () => syllables[random.int(syllables.length)]!);
      const raw = words.join(random.int(2) === 0 ? ' ' : '  ');
      const key = nameComparisonKey(raw);
      assert.equal(nameComparisonKey(normalizeName(raw)), key, raw);
      assert.equal(nameComparisonKey(key), key, raw);
      assert.match(key, /^[a-z]+( [a-z]+)*$/, raw);
    }
  });

  it('keeps different names apart', () => {
    assert.notEqual(nameComparisonKey('Nguyễn Văn An'), nameComparisonKey('Nguyễn Văn Anh'));
  });
});
