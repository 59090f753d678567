import { APOSTROPHES } from './apostrophes.js';
import { stripDiacritics } from './transliterate.js';

/**
 * A key under which spellings of one name meet, for finding possible duplicate records: lower case,
 * no diacritics, no apostrophes, hyphens as spaces, single spaces. "NGUYỄN  thị Ánh-Đào" and
 * "Nguyen Thi Anh Dao" share a key. It deliberately loses information (Đào and Dao meet), so a match
 * is a candidate for a clerk to review, never proof. Works on unvalidated text: imports are dirty.
 */
export function nameComparisonKey(name: string): string {
  return stripDiacritics(name.normalize('NFC'))
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(/[\s-]+/gu, ' ')
    .trim();
}
