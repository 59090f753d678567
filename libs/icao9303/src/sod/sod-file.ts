import { createHash } from 'node:crypto';
import { dataGroupNumber, dataGroupTag, EF_SOD_TAG } from '../lds/data-groups.js';
import { LdsError } from '../lds/errors.js';
import type { DigestAlgorithm } from '../pki/algorithms.js';
import type { Signer } from '../pki/signer.js';
import { decodeTlv, encodeTlv, expectTag } from '../tlv/tlv.js';
import { SodError } from './errors.js';
import {
  decodeLdsSecurityObject,
  encodeLdsSecurityObject,
  type DataGroupHash,
  type LdsSecurityObject,
  type LdsVersionInfo,
} from './lds-security-object.js';
import { signedData } from './signed-data.js';
import { readSignedData, type SignedDataContent } from './signed-data-reader.js';
import { Oid } from '../asn1/oids.js';

/** Data group files by number: each the whole file as the chip returns it, tag and length included. */
export type DataGroupFiles = ReadonlyMap<number, Uint8Array>;

/** Files by the number their own tag names, so callers cannot file DG2 under 13. */
export function indexDataGroups(files: readonly Uint8Array[]): Map<number, Uint8Array> {
  const index = new Map<number, Uint8Array>();
  for (const file of files) {
    const number = dataGroupNumber(decodeTlv(file).tag);
    if (index.has(number)) throw new LdsError(`data group ${number} given twice`);
    index.set(number, file);
  }
  return index;
}

/** Doc 9303 Part 10 §4.6.2: each hash covers the whole data group file. */
export function hashDataGroups(files: DataGroupFiles, digest: DigestAlgorithm): DataGroupHash[] {
  return [...files].map(([dataGroup, file]) => ({
    dataGroup,
    hash: createHash(digest).update(file).digest(),
  }));
}

export interface SodInput {
  readonly dataGroups: DataGroupFiles;
  readonly signer: Signer;
  /** SHA-256 when not given. */
  readonly digestAlgorithm?: DigestAlgorithm;
  /** Now when not given. */
  readonly signingTime?: Date;
  /** Given for LDS 1.8: makes the security object version 1. */
  readonly ldsVersionInfo?: LdsVersionInfo;
}

/** Builds EF.SOD (tag 77) over the given data group files, signed through the {@link Signer} port. */
export async function buildSod(input: SodInput): Promise<Uint8Array> {
  if (input.dataGroups.size === 0) throw new LdsError('EF.SOD needs at least one data group');
  for (const [number, file] of input.dataGroups) {
    expectTag(decodeTlv(file), dataGroupTag(number), `data group ${number}`);
  }
  const digestAlgorithm = input.digestAlgorithm ?? 'sha256';
  const securityObject = encodeLdsSecurityObject({
    digestAlgorithm,
    dataGroupHashes: hashDataGroups(input.dataGroups, digestAlgorithm),
    ...(input.ldsVersionInfo ? { ldsVersionInfo: input.ldsVersionInfo } : {}),
  });
  const cms = await signedData(
    { contentType: Oid.ldsSecurityObject, content: securityObject },
    input.signer,
    digestAlgorithm,
    input.signingTime ?? new Date(),
  );
  return encodeTlv(EF_SOD_TAG, cms);
}

/** The CMS ContentInfo inside the 77 wrapper, as `openssl cms` and other CMS tools read it. */
export function unwrapSod(file: Uint8Array): Uint8Array {
  return expectTag(decodeTlv(file), EF_SOD_TAG, 'EF.SOD').value;
}

export interface Sod {
  readonly signedData: SignedDataContent;
  readonly ldsSecurityObject: LdsSecurityObject;
}

/** Reads EF.SOD without judging it; passive authentication does the judging. */
export function parseSod(file: Uint8Array): Sod {
  const content = readSignedData(unwrapSod(file));
  if (content.contentType !== Oid.ldsSecurityObject) {
    throw new SodError(`EF.SOD encapsulates ${content.contentType}, not an LDS security object`);
  }
  return { signedData: content, ldsSecurityObject: decodeLdsSecurityObject(content.content) };
}
