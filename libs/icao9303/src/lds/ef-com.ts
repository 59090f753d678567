import { asciiBytes, asciiText } from '../bytes.js';
import { constructed, decodeTlv, expectTag, primitive, requireChild } from '../tlv/tlv.js';
import { dataGroupNumber, dataGroupTag, EF_COM_TAG } from './data-groups.js';
import { LdsError } from './errors.js';

const LDS_VERSION = 0x5f01;
const UNICODE_VERSION = 0x5f36;
const TAG_LIST = 0x5c;

/** EF.COM (Doc 9303 Part 10 §4.6.1): versions and the list of data groups present. */
export interface EfCom {
  /** `aabb`: LDS version aa.bb, e.g. `0107` or `0108`. */
  readonly ldsVersion: string;
  /** `aabbcc`: Unicode version aa.bb.cc, e.g. `040000`. */
  readonly unicodeVersion: string;
  /** Data group numbers in file order, e.g. `[1, 2, 13]`. */
  readonly dataGroups: readonly number[];
}

function assertDigits(what: string, value: string, count: number): void {
  if (!new RegExp(`^\\d{${count}}$`).test(value))
    throw new LdsError(`${what} ${JSON.stringify(value)} is not ${count} digits`);
}

export function buildEfCom(com: EfCom): Uint8Array {
  assertDigits('LDS version', com.ldsVersion, 4);
  assertDigits('Unicode version', com.unicodeVersion, 6);
  return constructed(
    EF_COM_TAG,
    primitive(LDS_VERSION, asciiBytes(com.ldsVersion)),
    primitive(UNICODE_VERSION, asciiBytes(com.unicodeVersion)),
    primitive(TAG_LIST, Uint8Array.from(com.dataGroups, dataGroupTag)),
  );
}

export function parseEfCom(bytes: Uint8Array): EfCom {
  const com = expectTag(decodeTlv(bytes), EF_COM_TAG, 'EF.COM');
  const result: EfCom = {
    ldsVersion: asciiText(requireChild(com, LDS_VERSION, 'EF.COM').value),
    unicodeVersion: asciiText(requireChild(com, UNICODE_VERSION, 'EF.COM').value),
    dataGroups: Array.from(requireChild(com, TAG_LIST, 'EF.COM').value, dataGroupNumber),
  };
  assertDigits('LDS version', result.ldsVersion, 4);
  assertDigits('Unicode version', result.unicodeVersion, 6);
  return result;
}
