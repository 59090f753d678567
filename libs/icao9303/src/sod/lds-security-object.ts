import { readAlgorithmOid, readOctetString, readSmallInteger, readText } from '../asn1/der-read.js';
import { derInteger, derOctetString, derPrintableString, derSequence } from '../asn1/der.js';
import { Asn1 } from '../asn1/tags.js';
import { decodeTlv, expectTag } from '../tlv/tlv.js';
import { digestAlgorithmByOid, digestAlgorithmIdentifier, type DigestAlgorithm } from '../pki/algorithms.js';
import { SodError } from './errors.js';

export interface DataGroupHash {
  readonly dataGroup: number;
  readonly hash: Uint8Array;
}

/** LDS 1.8 names the LDS and Unicode versions in the security object too (then version 1). */
export interface LdsVersionInfo {
  readonly ldsVersion: string;
  readonly unicodeVersion: string;
}

/** Doc 9303 Part 10 §4.6.2.2 LDSSecurityObject: the hashes EF.SOD signs. */
export interface LdsSecurityObject {
  readonly digestAlgorithm: DigestAlgorithm;
  readonly dataGroupHashes: readonly DataGroupHash[];
  readonly ldsVersionInfo?: LdsVersionInfo;
}

export function encodeLdsSecurityObject(object: LdsSecurityObject): Uint8Array {
  const info = object.ldsVersionInfo;
  return derSequence(
    derInteger(info ? 1 : 0),
    digestAlgorithmIdentifier(object.digestAlgorithm),
    derSequence(
      ...[...object.dataGroupHashes]
        .sort((a, b) => a.dataGroup - b.dataGroup)
        .map((h) => derSequence(derInteger(h.dataGroup), derOctetString(h.hash))),
    ),
    ...(info
      ? [derSequence(derPrintableString(info.ldsVersion), derPrintableString(info.unicodeVersion))]
      : []),
  );
}

export function decodeLdsSecurityObject(bytes: Uint8Array): LdsSecurityObject {
  const root = expectTag(decodeTlv(bytes), Asn1.SEQUENCE, 'LDSSecurityObject');
  const [version, algorithm, hashes, versionInfo, ...extra] = root.children;
  if (!version || !algorithm || !hashes || extra.length > 0)
    throw new SodError('LDSSecurityObject has the wrong fields');
  const v = readSmallInteger(version, 'LDSSecurityObject version');
  if (v > 1 || (v === 1) !== (versionInfo !== undefined)) {
    throw new SodError(`LDSSecurityObject version ${v} does not match the presence of ldsVersionInfo`);
  }
  const oid = readAlgorithmOid(algorithm, 'hashAlgorithm');
  const digestAlgorithm = digestAlgorithmByOid(oid);
  if (!digestAlgorithm) throw new SodError(`LDSSecurityObject hash algorithm ${oid} is not supported`);
  const dataGroupHashes = expectTag(hashes, Asn1.SEQUENCE, 'dataGroupHashValues').children.map((entry) => {
    const [number, hash] = expectTag(entry, Asn1.SEQUENCE, 'DataGroupHash').children;
    if (!number || !hash) throw new SodError('DataGroupHash has the wrong fields');
    return {
      dataGroup: readSmallInteger(number, 'dataGroupNumber'),
      hash: readOctetString(hash, 'dataGroupHashValue'),
    };
  });
  if (new Set(dataGroupHashes.map((h) => h.dataGroup)).size !== dataGroupHashes.length) {
    throw new SodError('LDSSecurityObject lists a data group twice');
  }
  if (!versionInfo) return { digestAlgorithm, dataGroupHashes };
  const [lds, unicode] = expectTag(versionInfo, Asn1.SEQUENCE, 'ldsVersionInfo').children;
  if (!lds || !unicode) throw new SodError('ldsVersionInfo has the wrong fields');
  return {
    digestAlgorithm,
    dataGroupHashes,
    ldsVersionInfo: {
      ldsVersion: readText(lds, 'ldsVersion'),
      unicodeVersion: readText(unicode, 'unicodeVersion'),
    },
  };
}
