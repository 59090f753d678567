import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidNameError } from '../errors.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { stripDiacritics, toMrzCharacters } from './transliterate.js';

/** Every Vietnamese letter with a diacritic, lower case, and its bare letter. */
const VIETNAMESE: readonly [string, string][] = [
  ['àáảãạăằắẳẵặâầấẩẫậ', 'a'],
  ['èéẻẽẹêềếểễệ', 'e'],
  ['ìíỉĩị', 'i'],
  ['òóỏõọôồốổỗộơờớởỡợ', 'o'],
  ['ùúủũụưừứửữự', 'u'],
  ['ỳýỷỹỵ', 'y'],
  ['đ', 'd'],
];

describe('stripDiacritics', () => {
  it('removes tone marks and vowel diacritics and maps đ to d, keeping case', () => {
    assert.equal(stripDiacritics('Nguyễn Thị Ánh Đào'), 'Nguyen Thi Anh Dao');
    assert.equal(stripDiacritics('Trương Mỹ Lan'), 'Truong My Lan');
    assert.equal(stripDiacritics('ĐẶNG THÙY TRÂM'), 'DANG THUY TRAM');
  });

  it('maps every Vietnamese letter, in both cases and both normal forms, to its bare letter', () => {
    for (const [letters, bare] of VIETNAMESE) {
      for (const ch of letters) {
        for (const form of [ch, ch.toUpperCase(), ch.normalize('NFD'), ch.toUpperCase().normalize('NFD')]) {
          const expected = form === ch || form === ch.normalize('NFD') ? bare : bare.toUpperCase();
          assert.equal(stripDiacritics(form), expected, form);
        }
      }
    }
  });
});

describe('toMrzCharacters', () => {
  it('writes A–Z with < for spaces and hyphens and drops apostrophes', () => {
    assert.equal(toMrzCharacters('Nguyễn Thị Ánh Đào'), 'NGUYEN<THI<ANH<DAO');
    assert.equal(toMrzCharacters('Trần-Lê'), 'TRAN<LE');
    assert.equal(toMrzCharacters("H'Hen"), 'HHEN');
    assert.equal(toMrzCharacters('H’Hen'), 'HHEN');
    assert.equal(toMrzCharacters('  Lê   Văn  '), 'LE<VAN');
    assert.equal(toMrzCharacters('-Lê-'), 'LE', 'no filler at the ends of a part');
    assert.equal(toMrzCharacters('Søren Ærø Groß'), 'SOEREN<AEROE<GROSS');
  });

  it('always yields MRZ characters from any mix of Vietnamese letters, spaces and hyphens', () => {
    const alphabet = [
      ...VIETNAMESE.map(([letters]) => letters).join(''),
      ...'abcdeghiklmnopqrstuvxy',
      ' ',
      '-',
    ];
    const random = seededRandom(9303);
    for (let i = 0; i < 2000; i++) {
      const length = 1 + random.int(30);
      let text = Array.from({ length }, () => alphabet[random.int(alphabet.length)]!).join('');
      if (random.int(2) === 0) text = text.toUpperCase();
      assert.match(toMrzCharacters(text), /^[A-Z<]*$/, text);
      assert.doesNotMatch(
        toMrzCharacters(text),
        /<</,
        'a run of separators is one filler, never the name separator',
      );
    }
  });

  it('refuses letters it has no transliteration for', () => {
    assert.throws(
      () => toMrzCharacters('阮氏', 'fullName'),
      (e: unknown) => e instanceof InvalidNameError && e.violations[0]?.reason === 'NOT_TRANSLITERABLE',
    );
  });
});
