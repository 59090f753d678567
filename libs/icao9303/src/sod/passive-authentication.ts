import { createHash, verify } from 'node:crypto';
import { bytesEqual } from '../bytes.js';
import {
  digestAlgorithmByOid,
  signatureAlgorithmByOid,
  signatureAlgorithmInfo,
  type DigestAlgorithm,
} from '../pki/algorithms.js';
import { readCertificate, type CertificateInfo } from '../pki/certificate.js';
import type { SignedDataContent, SignerIdentifier } from './signed-data-reader.js';
import { parseSod, type DataGroupFiles, type Sod } from './sod-file.js';

/** Each thing passive authentication checks; a failure names the one that did not hold. */
export type PassiveAuthenticationCheck =
  | 'sod-readable'
  | 'signer-certificate-present'
  | 'signer-certificate-trusted'
  | 'signer-certificate-signature'
  | 'signer-certificate-validity'
  | 'signer-certificate-key-usage'
  | 'csca-validity'
  | 'csca-is-ca'
  | 'algorithms-supported'
  | 'signed-attributes-present'
  | 'content-type'
  | 'message-digest'
  | 'signature'
  | 'data-group-hash'
  | 'data-group-listed';

export interface PassiveAuthenticationFailure {
  readonly check: PassiveAuthenticationCheck;
  readonly message: string;
  readonly dataGroup?: number;
}

/** `not-read`: listed in EF.SOD but not given (a reader need not read every group, e.g. DG3). */
export type DataGroupStatus = 'match' | 'mismatch' | 'not-read' | 'not-in-sod';

export interface CertificateSummary {
  readonly subject: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface PassiveAuthenticationResult {
  /** True only when no check failed. */
  readonly valid: boolean;
  readonly failures: readonly PassiveAuthenticationFailure[];
  readonly dataGroups: readonly { readonly dataGroup: number; readonly status: DataGroupStatus }[];
  readonly documentSigner?: CertificateSummary;
  readonly csca?: CertificateSummary;
  readonly signingTime?: Date;
}

export interface PassiveAuthenticationInput {
  /** The EF.SOD file, 77 wrapper included. */
  readonly sod: Uint8Array;
  /** The data group files read from the chip. */
  readonly dataGroups: DataGroupFiles;
  /** DER certificates of the trusted country signing CAs (from the CSCA master list). */
  readonly trustedCscas: readonly Uint8Array[];
  /** When certificate validity is judged; now when not given. */
  readonly at?: Date;
}

const summary = (c: CertificateInfo): CertificateSummary => ({
  subject: c.subject,
  serialNumber: c.serialNumber.toString(16),
  notBefore: c.notBefore,
  notAfter: c.notAfter,
});

type Fail = (check: PassiveAuthenticationCheck, message: string, dataGroup?: number) => void;

function checkDataGroups(
  sod: Sod,
  files: DataGroupFiles,
  fail: Fail,
): PassiveAuthenticationResult['dataGroups'] {
  const { digestAlgorithm, dataGroupHashes } = sod.ldsSecurityObject;
  const statuses = dataGroupHashes.map(
    ({ dataGroup, hash }): { dataGroup: number; status: DataGroupStatus } => {
      const file = files.get(dataGroup);
      if (!file) return { dataGroup, status: 'not-read' };
      if (bytesEqual(createHash(digestAlgorithm).update(file).digest(), hash))
        return { dataGroup, status: 'match' };
      fail('data-group-hash', `data group ${dataGroup} does not match its hash in EF.SOD`, dataGroup);
      return { dataGroup, status: 'mismatch' };
    },
  );
  for (const dataGroup of files.keys()) {
    if (dataGroupHashes.some((h) => h.dataGroup === dataGroup)) continue;
    fail('data-group-listed', `data group ${dataGroup} was read but EF.SOD has no hash for it`, dataGroup);
    statuses.push({ dataGroup, status: 'not-in-sod' });
  }
  return statuses.sort((a, b) => a.dataGroup - b.dataGroup);
}

function identifies(sid: SignerIdentifier, certificate: CertificateInfo): boolean {
  return sid.kind === 'issuer-and-serial-number'
    ? bytesEqual(sid.issuerName, certificate.issuerName) && sid.serialNumber === certificate.serialNumber
    : certificate.subjectKeyIdentifier !== undefined &&
        bytesEqual(sid.keyIdentifier, certificate.subjectKeyIdentifier);
}

function findSigner(signedData: SignedDataContent, fail: Fail): CertificateInfo | undefined {
  for (const der of signedData.certificates) {
    let certificate: CertificateInfo;
    try {
      certificate = readCertificate(der);
    } catch {
      continue; // an unreadable extra certificate is not the signer's; the signer's absence is reported below
    }
    if (identifies(signedData.signerInfo.signerIdentifier, certificate)) return certificate;
  }
  fail('signer-certificate-present', 'EF.SOD holds no certificate matching its signer identifier');
  return undefined;
}

function checkValidity(
  check: PassiveAuthenticationCheck,
  what: string,
  c: CertificateInfo,
  at: Date,
  fail: Fail,
): void {
  if (at < c.notBefore) fail(check, `${what} is not valid before ${c.notBefore.toISOString()}`);
  if (at > c.notAfter) fail(check, `${what} expired on ${c.notAfter.toISOString()}`);
}

/** Validates the Document Signer against the trusted CSCAs and returns the one that issued it. */
function checkChain(
  ds: CertificateInfo,
  trusted: readonly CertificateInfo[],
  at: Date,
  fail: Fail,
): CertificateInfo | undefined {
  checkValidity('signer-certificate-validity', 'Document Signer certificate', ds, at, fail);
  if (!ds.keyUsage?.has('digitalSignature')) {
    fail('signer-certificate-key-usage', 'Document Signer certificate does not allow digitalSignature');
  }
  // Several CSCAs may share a name across key rollovers: the one whose key verifies is the issuer.
  const named = trusted.filter((csca) => bytesEqual(csca.subjectName, ds.issuerName));
  if (named.length === 0) {
    fail(
      'signer-certificate-trusted',
      'no trusted CSCA has the name of the Document Signer certificate issuer',
    );
    return undefined;
  }
  const csca = named.find((candidate) => ds.isSignedBy(candidate.publicKey));
  if (!csca) {
    fail('signer-certificate-signature', 'no trusted CSCA key verifies the Document Signer certificate');
    return undefined;
  }
  checkValidity('csca-validity', 'CSCA certificate', csca, at, fail);
  if (!csca.isCa || !csca.keyUsage?.has('keyCertSign')) {
    fail('csca-is-ca', 'the CSCA certificate is not a CA allowed to sign certificates');
  }
  return csca;
}

/** RSA and EC public-key OIDs are sometimes written where a signature algorithm belongs; the digest then comes from digestAlgorithm. */
const KEY_ONLY_ALGORITHMS = new Set(['1.2.840.113549.1.1.1', '1.2.840.10045.2.1']);

function checkSignature(signedData: SignedDataContent, ds: CertificateInfo, fail: Fail): void {
  const { signerInfo, content, contentType } = signedData;
  const attributes = signerInfo.signedAttributes;
  if (!attributes) {
    fail('signed-attributes-present', 'EF.SOD has no signed attributes; Doc 9303 requires them');
    return;
  }
  if (attributes.contentType !== contentType) {
    fail(
      'content-type',
      `contentType attribute ${attributes.contentType ?? '(absent)'} differs from ${contentType}`,
    );
  }
  const digest: DigestAlgorithm | undefined = digestAlgorithmByOid(signerInfo.digestAlgorithm);
  const signatureAlgorithm = signatureAlgorithmByOid(signerInfo.signatureAlgorithm);
  const signatureDigest = signatureAlgorithm
    ? signatureAlgorithmInfo(signatureAlgorithm).digest
    : KEY_ONLY_ALGORITHMS.has(signerInfo.signatureAlgorithm)
      ? digest
      : undefined;
  if (!digest || !signatureDigest) {
    fail(
      'algorithms-supported',
      `digest ${signerInfo.digestAlgorithm} or signature ${signerInfo.signatureAlgorithm} is not supported`,
    );
    return;
  }
  if (
    !attributes.messageDigest ||
    !bytesEqual(attributes.messageDigest, createHash(digest).update(content).digest())
  ) {
    fail('message-digest', 'the messageDigest attribute does not match the LDS security object');
  }
  let verified = false;
  try {
    verified = verify(signatureDigest, attributes.signedBytes, ds.publicKey, signerInfo.signature);
  } catch {
    verified = false; // a malformed signature value or a key of the wrong type: simply not verified
  }
  if (!verified)
    fail(
      'signature',
      'the signature over the signed attributes does not verify with the Document Signer key',
    );
}

/**
 * Passive authentication (Doc 9303 Part 11 §5.1): is EF.SOD signed by a Document Signer that a
 * trusted CSCA issued, and do the data groups read match the hashes it signed? Every check runs
 * that can run, and each failure is listed, so that an operator sees *why* a card was refused.
 * An unreadable trusted CSCA certificate is a configuration error and throws a `PkiError`.
 */
export function passiveAuthentication(input: PassiveAuthenticationInput): PassiveAuthenticationResult {
  const failures: PassiveAuthenticationFailure[] = [];
  const fail: Fail = (check, message, dataGroup) =>
    failures.push(dataGroup === undefined ? { check, message } : { check, message, dataGroup });
  const trusted = input.trustedCscas.map(readCertificate);
  const at = input.at ?? new Date();

  let sod: Sod;
  try {
    sod = parseSod(input.sod);
  } catch (error) {
    fail('sod-readable', `EF.SOD cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    return { valid: false, failures, dataGroups: [] };
  }
  const dataGroups = checkDataGroups(sod, input.dataGroups, fail);
  const ds = findSigner(sod.signedData, fail);
  const csca = ds && checkChain(ds, trusted, at, fail);
  if (ds) checkSignature(sod.signedData, ds, fail);
  const signingTime = sod.signedData.signerInfo.signedAttributes?.signingTime;
  return {
    valid: failures.length === 0,
    failures,
    dataGroups,
    ...(ds ? { documentSigner: summary(ds) } : {}),
    ...(csca ? { csca: summary(csca) } : {}),
    ...(signingTime ? { signingTime } : {}),
  };
}
