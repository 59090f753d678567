import { normalizeName } from './normalize.js';
import { toMrzCharacters } from './transliterate.js';

/**
 * A name in parts. Vietnamese (Kinh) names run family name (họ), middle names (tên đệm), given name
 * (tên): Nguyễn | Thị Ánh | Đào.
 */
export interface PersonalNameParts {
  readonly familyName: string;
  readonly middleNames: readonly string[];
  /** Empty for someone with a single name, which is then the family name (as the MRZ treats it). */
  readonly givenName: string;
}

/**
 * Kinh names put the family name first; several Central Highlands peoples (Ê Đê, Jrai) put it last:
 * H'Hen Niê. When the order is not known, the register should store the parts as declared rather
 * than split a full name.
 */
export type NameOrder = 'family-first' | 'family-last';

/** Splits a full name (normalised first) into its parts, in the given order. */
export function splitFullName(fullName: string, order: NameOrder = 'family-first'): PersonalNameParts {
  const words = normalizeName(fullName).split(' ');
  if (words.length === 1) return { familyName: words[0]!, middleNames: [], givenName: '' };
  if (order === 'family-last') {
    return { familyName: words.at(-1)!, middleNames: [], givenName: words.slice(0, -1).join(' ') };
  }
  return { familyName: words[0]!, middleNames: words.slice(1, -1), givenName: words.at(-1)! };
}

/** Middle names and given name together: the MRZ's secondary identifier. */
export function givenNames(parts: PersonalNameParts): string {
  return [...parts.middleNames, parts.givenName].filter((w) => w !== '').join(' ');
}

/** The MRZ name field before padding: `NGUYEN<<THI<ANH<DAO`. */
export function mrzName(parts: PersonalNameParts): string {
  const primary = toMrzCharacters(parts.familyName);
  const secondary = toMrzCharacters(givenNames(parts));
  return secondary === '' ? primary : `${primary}<<${secondary}`;
}
