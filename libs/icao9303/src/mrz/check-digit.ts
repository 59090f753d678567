import { MrzFormatError } from './errors.js';

const WEIGHTS = [7, 3, 1] as const;

/** Doc 9303 Part 3 §4.9: digits count as themselves, A–Z as 10–35, the filler `<` as 0. */
function characterValue(c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55;
  if (c === '<') return 0;
  throw new MrzFormatError(`character ${JSON.stringify(c)} is not allowed in an MRZ`);
}

/** The check digit over `text`: weights 7, 3, 1 repeating, sum modulo 10. */
export function checkDigit(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += characterValue(text[i]!) * WEIGHTS[i % 3]!;
  return sum % 10;
}
