import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidNameError } from '../errors.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { NAME_PART_MAX_LENGTH, normalizeName, normalizeNameParts } from './normalize.js';

describe('normalizeName', () => {
  it('collapses whitespace and title-cases words typed in one case', () => {
    assert.equal(normalizeName('  nguyễn   thị ánh\tđào '), 'Nguyễn Thị Ánh Đào');
    assert.equal(normalizeName('NGUYỄN VĂN A'), 'Nguyễn Văn A');
    assert.equal(normalizeName('lê lợi'), 'Lê Lợi');
  });

  it('stores NFC whatever the keyboard sent', () => {
    const decomposed = 'Nguyễn Thị Ánh Đào'.normalize('NFD');
    assert.notEqual(decomposed, 'Nguyễn Thị Ánh Đào');
    assert.equal(normalizeName(decomposed), 'Nguyễn Thị Ánh Đào'.normalize('NFC'));
    assert.equal(normalizeName(decomposed).length, 'Nguyễn Thị Ánh Đào'.normalize('NFC').length);
  });

  it('keeps capitals typed on purpose and unifies apostrophes', () => {
    assert.equal(normalizeName('H’Hen Niê'), "H'Hen Niê");
    assert.equal(normalizeName("h'hen niê"), "H'Hen Niê");
    assert.equal(normalizeName('KSOR H’BIA'), "Ksor H'Bia");
    assert.equal(normalizeName('trần-lê văn'), 'Trần-Lê Văn');
  });

  it('refuses an empty name or one with digits or symbols, naming the field', () => {
    const refused = (reason: string) => (e: unknown) =>
      e instanceof InvalidNameError &&
      e.violations[0]?.reason === reason &&
      e.violations[0].field === 'fatherName';
    assert.throws(() => normalizeName(' \t ', 'fatherName'), refused('EMPTY_NAME'));
    assert.throws(() => normalizeName('Nguyễn Văn 2', 'fatherName'), refused('INVALID_CHARACTERS'));
    assert.throws(() => normalizeName('Nguyễn, Văn', 'fatherName'), refused('INVALID_CHARACTERS'));
  });
});

describe('name rules', () => {
  const reasonOf = (work: () => unknown): string[] => {
    try {
      work();
    } catch (e) {
      if (e instanceof InvalidNameError) return e.violations.map((v) => `${v.field}:${v.reason}`);
      throw e;
    }
    return [];
  };

  it('bounds a name part at NAME_PART_MAX_LENGTH characters, counted after NFC', () => {
    const fifty = 'Ngô'.repeat(16) + 'An';
    assert.equal([...fifty].length, 50);
    assert.equal(
      normalizeNameParts({ familyName: fifty.normalize('NFD'), givenName: 'An' }).familyName.length,
      50,
    );
    assert.deepEqual(
      reasonOf(() => normalizeNameParts({ familyName: `${fifty}a`, givenName: 'An' })),
      ['name.familyName:TOO_LONG'],
    );
    assert.equal(NAME_PART_MAX_LENGTH, 50);
    // A 100 KB family name is refused without being normalised first.
    assert.deepEqual(
      reasonOf(() => normalizeNameParts({ familyName: 'A'.repeat(100_000), givenName: 'An' })),
      ['name.familyName:TOO_LONG'],
    );
    assert.deepEqual(
      reasonOf(() => normalizeName('An '.repeat(60))),
      ['fullName:TOO_LONG'],
    );
  });

  it('requires the family and given names; the middle name may be empty', () => {
    assert.deepEqual(normalizeNameParts({ familyName: 'lê', givenName: 'lợi' }), {
      familyName: 'Lê',
      middleName: '',
      givenName: 'Lợi',
    });
    assert.deepEqual(
      reasonOf(() => normalizeNameParts({ familyName: ' ', middleName: '', givenName: '' }, 'n')),
      ['n.familyName:REQUIRED', 'n.givenName:REQUIRED'],
    );
    assert.deepEqual(
      reasonOf(() => normalizeNameParts(undefined)),
      ['name.familyName:REQUIRED', 'name.givenName:REQUIRED'],
    );
  });

  it('refuses digits, symbols, periods, control and format characters', () => {
    for (const bad of [
      'Lê1',
      'Lê.',
      'Lê,',
      'Lê@',
      'L\u200Bê',
      'L\u202Eê',
      'Lê\u00AD',
      'L\u0000ê',
      'Lê\u{1F600}',
    ]) {
      assert.deepEqual(
        reasonOf(() => normalizeName(bad, 'f')),
        ['f:INVALID_CHARACTERS'],
        JSON.stringify(bad),
      );
    }
    // A combining mark with no letter under it, or a pile of them on one letter.
    assert.deepEqual(
      reasonOf(() => normalizeName('\u0301An', 'f')),
      ['f:INVALID_CHARACTERS'],
    );
    assert.deepEqual(
      reasonOf(() => normalizeName('Zalgo a\u0301\u0302\u0303\u0304', 'f')),
      ['f:INVALID_CHARACTERS'],
    );
  });

  it('accepts apostrophes and hyphens only between letters of a word', () => {
    assert.equal(normalizeName("h'hen niê"), "H'Hen Niê");
    assert.equal(normalizeName('trần-lê'), 'Trần-Lê');
    for (const bad of ["'Hen", "Hen'", 'Trần--Lê', 'Trần-', "H'-Hen", 'Trần - Lê']) {
      assert.deepEqual(
        reasonOf(() => normalizeName(bad, 'f')),
        ['f:MISPLACED_PUNCTUATION'],
        bad,
      );
    }
  });

  it('accepts letters of any script in a name, but a name part the card cannot write is refused', () => {
    assert.equal(normalizeName('阮氏'), '阮氏');
    assert.equal(normalizeNameParts({ familyName: 'Søren', givenName: 'Ærø' }).familyName, 'Søren');
    assert.deepEqual(
      reasonOf(() => normalizeNameParts({ familyName: '阮', givenName: 'An' })),
      ['name.familyName:NOT_TRANSLITERABLE'],
    );
  });

  it('always yields an accepted name for any mix of Vietnamese letters, spaces, hyphens and apostrophes it accepts', () => {
    const alphabet = [
      ...'aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ',
      ' ',
      '-',
      "'",
    ];
    const random = seededRandom(2014);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from(
        { length: 1 + random.int(20) },
        () => alphabet[random.int(alphabet.length)]!,
      ).join('');
      let name: string;
      try {
        name = normalizeName(text, 'f', { maxLength: NAME_PART_MAX_LENGTH });
      } catch (e) {
        assert.ok(e instanceof InvalidNameError, text);
        assert.ok(['EMPTY_NAME', 'MISPLACED_PUNCTUATION'].includes(e.violations[0]!.reason), text);
        continue;
      }
      assert.equal(normalizeName(name), name, 'normalising twice changes nothing');
      assert.match(name, /^[\p{L}' -]+$/u);
    }
  });
});
