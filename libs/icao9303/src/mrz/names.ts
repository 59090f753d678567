import { MRZ_FILLER, trimFillers } from './charset.js';
import { MrzFieldError } from './errors.js';

/**
 * One name identifier in MRZ spelling: letters A–Z, its components separated by a single `<`.
 * Names arrive already transliterated (Vietnamese diacritics removed upstream), so anything else
 * is a caller error, not something to repair here.
 */
const IDENTIFIER = /^[A-Z]+(?:<[A-Z]+)*$/;

export interface MrzName {
  /** Surname / family name (họ), e.g. `NGUYEN` or `TRAN<LE`. */
  readonly primaryIdentifier: string;
  /** Given names (tên đệm + tên), e.g. `VAN<AN`; empty for a holder with a single name. */
  readonly secondaryIdentifier: string;
}

export interface FormattedName {
  readonly text: string;
  /** True when part of the name had to be dropped to fit the field. */
  readonly truncated: boolean;
}

function assertIdentifier(field: string, value: string, optional: boolean): void {
  if (optional && value === '') return;
  if (!IDENTIFIER.test(value)) {
    throw new MrzFieldError(field, 'must be letters A–Z with components separated by a single <');
  }
}

/**
 * Writes `PRIMARY<<SECONDARY` into a field of `length` characters (Doc 9303 Part 3 §4.6).
 * When it does not fit, the secondary identifier loses characters from its end first; a primary
 * identifier too long on its own is cut so that `<<` and the initial of the secondary identifier
 * still fit.
 */
export function formatName(name: MrzName, length: number): FormattedName {
  const { primaryIdentifier: primary, secondaryIdentifier: secondary } = name;
  assertIdentifier('primaryIdentifier', primary, false);
  assertIdentifier('secondaryIdentifier', secondary, true);

  const full = secondary === '' ? primary : `${primary}<<${secondary}`;
  if (full.length <= length) return { text: full.padEnd(length, MRZ_FILLER), truncated: false };

  let text: string;
  if (secondary === '') text = primary.slice(0, length);
  else if (primary.length + 3 <= length)
    text = `${primary}<<${secondary.slice(0, length - primary.length - 2)}`;
  // A primary cut just after a component separator would run into `<<` and misplace the split.
  else text = `${primary.slice(0, length - 3).replace(/<+$/, '')}<<${secondary[0]!}`;
  return { text: text.padEnd(length, MRZ_FILLER), truncated: true };
}

/** Reads a name field back: everything before the first `<<` is the primary identifier. */
export function parseName(field: string): MrzName {
  const text = trimFillers(field);
  const separator = text.indexOf('<<');
  if (separator < 0) return { primaryIdentifier: text, secondaryIdentifier: '' };
  return {
    primaryIdentifier: text.slice(0, separator),
    secondaryIdentifier: text.slice(separator + 2).replace(/^<+/, ''),
  };
}
