import { readSmallInteger, readText } from '../asn1/der-read.js';
import { derInteger, derSequence, derUtf8String } from '../asn1/der.js';
import { Asn1 } from '../asn1/tags.js';
import { constructed, decodeTlv, expectTag } from '../tlv/tlv.js';
import { dataGroupTag } from './data-groups.js';
import { LdsError } from './errors.js';

/**
 * DG13 is issuer-defined. As seen on Vietnamese cards (reverse-engineered, *unverified*) it is
 * a run of `30 LL 02 01 NN <string>`: a field number then its text. A field may hold more than
 * one string (father's and mother's names share one field), so an entry carries a list.
 */
export interface Dg13Entry {
  readonly field: number;
  readonly values: readonly string[];
}

export function buildDg13(entries: readonly Dg13Entry[]): Uint8Array {
  return constructed(
    dataGroupTag(13),
    ...entries.map((entry) => {
      if (entry.values.length === 0) throw new LdsError(`DG13 field ${entry.field} has no value`);
      return derSequence(derInteger(entry.field), ...entry.values.map(derUtf8String));
    }),
  );
}

export function parseDg13(bytes: Uint8Array): Dg13Entry[] {
  const dg13 = expectTag(decodeTlv(bytes), dataGroupTag(13), 'DG13');
  return dg13.children.map((entry, i) => {
    expectTag(entry, Asn1.SEQUENCE, `DG13 entry ${i + 1}`);
    const [number, ...values] = entry.children;
    if (!number || values.length === 0)
      throw new LdsError(`DG13 entry ${i + 1} lacks a field number or value`);
    return {
      field: readSmallInteger(number, `DG13 entry ${i + 1} field number`),
      values: values.map((v) => readText(v, `DG13 field value`)),
    };
  });
}
