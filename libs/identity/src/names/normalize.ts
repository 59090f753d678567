import { InvalidNameError } from '../errors.js';
import { APOSTROPHES } from './apostrophes.js';

/** Letters (any script), combining marks, and the separators a name may contain. */
const NAME_CHARACTERS = /^[\p{L}\p{M}' -]+$/u;

/**
 * A name as the register stores it: Unicode NFC (keyboards and old systems send decomposed
 * Vietnamese), one apostrophe form, single spaces. A word typed all in lower or all in upper case is
 * put in title case; a word in mixed case is kept, since the clerk typed its capitals on purpose
 * (H'Hen, not H'hen). Refuses empty names and names with digits or symbols.
 */
export function normalizeName(raw: string, field = 'fullName'): string {
  const name = raw.normalize('NFC').replace(APOSTROPHES, "'").replace(/\s+/gu, ' ').trim();
  if (name === '')
    throw new InvalidNameError([{ field, reason: 'EMPTY_NAME', description: 'the name is empty' }]);
  if (!NAME_CHARACTERS.test(name)) {
    throw new InvalidNameError([
      {
        field,
        reason: 'INVALID_CHARACTERS',
        description: 'a name holds only letters, spaces, hyphens and apostrophes',
      },
    ]);
  }
  return name
    .split(' ')
    .map((word) => (word === word.toLowerCase() || word === word.toUpperCase() ? titleCase(word) : word))
    .join(' ');
}

/** First letter of the word, and of each part after an apostrophe or hyphen, in upper case. */
function titleCase(word: string): string {
  return word.toLowerCase().replace(/(^|['-])(\p{L})/gu, (_, separator: string, letter: string) => {
    return separator + letter.toUpperCase();
  });
}
