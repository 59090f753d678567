import { asciiBytes, asciiText } from '../bytes.js';
import { TD1_LINE_LENGTH } from '../mrz/td1.js';
import { constructed, decodeTlv, expectTag, primitive, requireChild } from '../tlv/tlv.js';
import { dataGroupTag } from './data-groups.js';
import { LdsError } from './errors.js';

const MRZ_TAG = 0x5f1f;
const TD1_LINES = 3;

/** DG1 (Doc 9303 Part 10 §4.7.1): the TD1 MRZ, its lines concatenated without separators. */
export function buildDg1(lines: readonly string[]): Uint8Array {
  if (lines.length !== TD1_LINES || lines.some((l) => l.length !== TD1_LINE_LENGTH)) {
    throw new LdsError(`DG1 holds a TD1 MRZ of ${TD1_LINES} lines of ${TD1_LINE_LENGTH} characters`);
  }
  return constructed(dataGroupTag(1), primitive(MRZ_TAG, asciiBytes(lines.join(''))));
}

/** The MRZ lines of a DG1 file; check digits are for `parseTd1` to judge. */
export function parseDg1(bytes: Uint8Array): string[] {
  const dg1 = expectTag(decodeTlv(bytes), dataGroupTag(1), 'DG1');
  const text = asciiText(requireChild(dg1, MRZ_TAG, 'DG1').value);
  if (text.length !== TD1_LINES * TD1_LINE_LENGTH) {
    throw new LdsError(`DG1 MRZ has ${text.length} characters, a TD1 MRZ has ${TD1_LINES * TD1_LINE_LENGTH}`);
  }
  return Array.from({ length: TD1_LINES }, (_, i) =>
    text.slice(i * TD1_LINE_LENGTH, (i + 1) * TD1_LINE_LENGTH),
  );
}
