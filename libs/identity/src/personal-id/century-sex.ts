import type { Sex } from '../sex.js';

/** One value of the G digit of a personal identification number: a century of birth and a sex. */
export interface CenturySexCode {
  readonly digit: number;
  /** First year of the century: 1900 covers 1900–1999. */
  readonly firstYear: number;
  readonly sex: Sex;
  /** False for the pairs no official text we found confirms; numbers using them cannot exist yet. */
  readonly verified: boolean;
}

/**
 * The G digit (Circular 07/2016/TT-BCA): the one table to edit if an official source
 * gives the later centuries differently. 1900s and 2000s are in use; the 2100s, 2200s and 2300s pairs
 * follow the same pattern and are *unverified*.
 */
export const CENTURY_SEX_CODES: readonly CenturySexCode[] = [
  { digit: 0, firstYear: 1900, sex: 'male', verified: true },
  { digit: 1, firstYear: 1900, sex: 'female', verified: true },
  { digit: 2, firstYear: 2000, sex: 'male', verified: true },
  { digit: 3, firstYear: 2000, sex: 'female', verified: true },
  { digit: 4, firstYear: 2100, sex: 'male', verified: false },
  { digit: 5, firstYear: 2100, sex: 'female', verified: false },
  { digit: 6, firstYear: 2200, sex: 'male', verified: false },
  { digit: 7, firstYear: 2200, sex: 'female', verified: false },
  { digit: 8, firstYear: 2300, sex: 'male', verified: false },
  { digit: 9, firstYear: 2300, sex: 'female', verified: false },
];

/** The code for a birth year and sex, or undefined when the table has no century for the year. */
export function encodeCenturySex(
  birthYear: number,
  sex: Sex,
  codes: readonly CenturySexCode[] = CENTURY_SEX_CODES,
): CenturySexCode | undefined {
  return codes.find((c) => c.sex === sex && birthYear >= c.firstYear && birthYear < c.firstYear + 100);
}

export function decodeCenturySex(
  digit: number,
  codes: readonly CenturySexCode[] = CENTURY_SEX_CODES,
): CenturySexCode | undefined {
  return codes.find((c) => c.digit === digit);
}
