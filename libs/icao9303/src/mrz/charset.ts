import { MrzFieldError } from './errors.js';

/** The MRZ alphabet (Doc 9303 Part 3 §4.3): upper-case Latin letters, digits and the filler. */
export const MRZ_FILLER = '<';
const MRZ_TEXT = /^[A-Z0-9<]*$/;

/** Checks the alphabet and the maximum length, then fills the field up with `<` on the right. */
export function padField(field: string, value: string, length: number): string {
  if (!MRZ_TEXT.test(value)) {
    throw new MrzFieldError(field, 'has characters outside A–Z, 0–9 and <');
  }
  if (value.length > length) {
    throw new MrzFieldError(field, `is longer than ${length} characters`);
  }
  return value.padEnd(length, MRZ_FILLER);
}

/** Reverses {@link padField}: trailing fillers are padding, not data. */
export function trimFillers(value: string): string {
  return value.replace(/<+$/, '');
}

export function isMrzText(value: string): boolean {
  return MRZ_TEXT.test(value);
}
