import { InvalidNameError } from '../errors.js';
import { APOSTROPHES } from './apostrophes.js';

/**
 * Letters that do not decompose into a base letter plus marks. Đ/đ is the Vietnamese one; the rest
 * are ICAO Doc 9303 Part 3 transliterations, for names of foreign origin.
 */
const LETTERS_WITHOUT_DECOMPOSITION: Readonly<Record<string, string>> = {
  Đ: 'D',
  đ: 'd',
  Ð: 'D',
  ð: 'd',
  Æ: 'AE',
  æ: 'ae',
  Ø: 'OE',
  ø: 'oe',
  Œ: 'OE',
  œ: 'oe',
  ß: 'ss',
  Þ: 'TH',
  þ: 'th',
  Ł: 'L',
  ł: 'l',
};

/**
 * Removes tone marks and vowel diacritics (ả, ư, ơ, â, ă, ê, ô) and maps đ to d: "Nguyễn Thị Ánh Đào"
 * becomes "Nguyen Thi Anh Dao". Case and everything else are kept.
 */
export function stripDiacritics(text: string): string {
  const withoutMarks = text.normalize('NFD').replace(/\p{Mn}/gu, '');
  return Array.from(withoutMarks, (ch) => LETTERS_WITHOUT_DECOMPOSITION[ch] ?? ch)
    .join('')
    .normalize('NFC');
}

/**
 * A name part in the characters a machine-readable zone allows: A–Z, with `<` for each space or
 * hyphen and apostrophes dropped (Doc 9303 Part 3). Truncation to the zone's width belongs to the MRZ
 * encoder, which knows the field length.
 */
export function toMrzCharacters(text: string, field = 'fullName'): string {
  const mrz = stripDiacritics(text.normalize('NFC'))
    .toUpperCase()
    .replace(APOSTROPHES, '')
    .replace(/[\s-]+/g, '<')
    .replace(/^<+|<+$/g, '');
  if (!/^[A-Z<]*$/.test(mrz)) {
    throw new InvalidNameError([
      {
        field,
        reason: 'NOT_TRANSLITERABLE',
        description: 'the name has letters with no MRZ transliteration',
      },
    ]);
  }
  return mrz;
}
