import { InvalidNameError, type FieldViolation } from '../errors.js';
import { APOSTROPHES } from './apostrophes.js';
import { toMrzCharacters } from './transliterate.js';

/**
 * The longest a name part (family, middle or given name) may be: 50 characters (Unicode code
 * points, after NFC normalisation and collapsing spaces). Vietnamese name parts run to a few
 * syllables; 50 leaves room for long names of other origins and refuses a pasted paragraph.
 */
export const NAME_PART_MAX_LENGTH = 50;
/** The longest a full name (every part with the spaces between) may be, in the same units. */
export const FULL_NAME_MAX_LENGTH = 3 * NAME_PART_MAX_LENGTH + 2;

/** Letters (any script), combining marks, and the separators a name may contain. */
const NAME_CHARACTERS = /^[\p{L}\p{M}' -]+$/u;
/** A combining mark with no letter under it, or more than two stacked on one letter. */
const STRAY_MARKS = /(?:^|[ '-])\p{M}|\p{M}{3}/u;
/** A word: letters, joined inside the word by one apostrophe or hyphen (H'Hen, Trần-Lê). */
const NAME_WORD = /^(?:\p{L}\p{M}{0,2})+(?:['-](?:\p{L}\p{M}{0,2})+)*$/u;

export interface NameOptions {
  /** Longest accepted, in code points after normalisation. Default {@link FULL_NAME_MAX_LENGTH}. */
  readonly maxLength?: number;
}

/**
 * A name as the register stores it: Unicode NFC (keyboards and old systems send decomposed
 * Vietnamese), one apostrophe form, single spaces. A word typed all in lower or all in upper case is
 * put in title case; a word in mixed case is kept, since the clerk typed its capitals on purpose
 * (H'Hen, not H'hen).
 *
 * Refused, each with its reason: an empty name (`EMPTY_NAME`); one longer than `maxLength`
 * (`TOO_LONG`); digits, symbols, periods, commas, control or format characters (zero-width
 * joiners, direction overrides) — anything but letters of any script, their combining marks,
 * spaces, apostrophes and hyphens (`INVALID_CHARACTERS`); an apostrophe or hyphen that does not
 * join two letters of a word (`MISPLACED_PUNCTUATION`).
 */
export function normalizeName(raw: string, field = 'fullName', options: NameOptions = {}): string {
  const maxLength = options.maxLength ?? FULL_NAME_MAX_LENGTH;
  const refuse = (reason: string, description: string): never => {
    throw new InvalidNameError([{ field, reason, description }]);
  };
  // A text many times too long is refused before any work is spent on it.
  if (raw.length > maxLength * 8 + 64) refuse('TOO_LONG', `a name is at most ${maxLength} characters`);
  const name = raw.normalize('NFC').replace(APOSTROPHES, "'").replace(/\s+/gu, ' ').trim();
  if (name === '') refuse('EMPTY_NAME', 'the name is empty');
  if ([...name].length > maxLength) refuse('TOO_LONG', `a name is at most ${maxLength} characters`);
  if (!NAME_CHARACTERS.test(name) || STRAY_MARKS.test(name)) {
    refuse('INVALID_CHARACTERS', 'a name holds only letters, spaces, hyphens and apostrophes');
  }
  const words = name.split(' ');
  if (!words.every((word) => NAME_WORD.test(word))) {
    refuse('MISPLACED_PUNCTUATION', 'an apostrophe or a hyphen joins two letters of a word');
  }
  return words
    .map((word) => (word === word.toLowerCase() || word === word.toUpperCase() ? titleCase(word) : word))
    .join(' ');
}

/** A name in the register's three parts (họ, tên đệm, tên). */
export interface NameParts {
  readonly familyName: string;
  /** Empty when the person has none. */
  readonly middleName: string;
  readonly givenName: string;
}

/**
 * The name parts the register records, each normalised by {@link normalizeName} and at most
 * {@link NAME_PART_MAX_LENGTH} characters: the family and given names are required (`REQUIRED`),
 * the middle name may be empty. Every part must also be writable in the card's machine-readable
 * zone (`NOT_TRANSLITERABLE`: a letter of a script with no Latin transliteration), since the chip
 * card is produced from the register with no paper form in between. Throws `InvalidNameError` with
 * every part's violations, fields `<field>.familyName`, `<field>.middleName`, `<field>.givenName`.
 */
export function normalizeNameParts(parts: Partial<NameParts> | undefined, field = 'name'): NameParts {
  const violations: FieldViolation[] = [];
  const part = (key: keyof NameParts, required: boolean): string => {
    const path = `${field}.${key}`;
    const raw = parts?.[key] ?? '';
    if (typeof raw !== 'string' || raw.trim() === '') {
      if (required)
        violations.push({
          field: path,
          reason: 'REQUIRED',
          description: 'this part of the name is required',
        });
      return '';
    }
    try {
      const value = normalizeName(raw, path, { maxLength: NAME_PART_MAX_LENGTH });
      toMrzCharacters(value, path);
      return value;
    } catch (error) {
      if (!(error instanceof InvalidNameError)) throw error;
      violations.push(...error.violations);
      return '';
    }
  };
  const value = {
    familyName: part('familyName', true),
    middleName: part('middleName', false),
    givenName: part('givenName', true),
  };
  if (violations.length > 0) throw new InvalidNameError(violations);
  return value;
}

/** First letter of the word, and of each part after an apostrophe or hyphen, in upper case. */
function titleCase(word: string): string {
  return word.toLowerCase().replace(/(^|['-])(\p{L})/gu, (_, separator: string, letter: string) => {
    return separator + letter.toUpperCase();
  });
}
