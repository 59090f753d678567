import { derAlgorithm, derNull } from '../asn1/der.js';
import { Oid } from '../asn1/oids.js';

/** Hash functions for data group hashes and CMS digests (Doc 9303 Part 12 §4.4). */
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** Signature algorithms a Document Signer may use; ECDSA signatures are DER `Ecdsa-Sig-Value`. */
export type SignatureAlgorithm =
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384'
  | 'ecdsa-with-SHA512'
  | 'sha256WithRSAEncryption'
  | 'sha384WithRSAEncryption'
  | 'sha512WithRSAEncryption';

interface SignatureAlgorithmInfo {
  readonly oid: string;
  readonly digest: DigestAlgorithm;
  readonly keyType: 'ec' | 'rsa';
}

const SIGNATURE_ALGORITHMS: Readonly<Record<SignatureAlgorithm, SignatureAlgorithmInfo>> = {
  'ecdsa-with-SHA256': { oid: Oid.ecdsaWithSha256, digest: 'sha256', keyType: 'ec' },
  'ecdsa-with-SHA384': { oid: Oid.ecdsaWithSha384, digest: 'sha384', keyType: 'ec' },
  'ecdsa-with-SHA512': { oid: Oid.ecdsaWithSha512, digest: 'sha512', keyType: 'ec' },
  sha256WithRSAEncryption: { oid: Oid.sha256WithRsaEncryption, digest: 'sha256', keyType: 'rsa' },
  sha384WithRSAEncryption: { oid: Oid.sha384WithRsaEncryption, digest: 'sha384', keyType: 'rsa' },
  sha512WithRSAEncryption: { oid: Oid.sha512WithRsaEncryption, digest: 'sha512', keyType: 'rsa' },
};

const DIGEST_OIDS: Readonly<Record<DigestAlgorithm, string>> = {
  sha256: Oid.sha256,
  sha384: Oid.sha384,
  sha512: Oid.sha512,
};

export function signatureAlgorithmInfo(algorithm: SignatureAlgorithm): SignatureAlgorithmInfo {
  return SIGNATURE_ALGORITHMS[algorithm];
}

export function signatureAlgorithmByOid(oid: string): SignatureAlgorithm | undefined {
  return (Object.keys(SIGNATURE_ALGORITHMS) as SignatureAlgorithm[]).find(
    (a) => SIGNATURE_ALGORITHMS[a].oid === oid,
  );
}

export function digestAlgorithmByOid(oid: string): DigestAlgorithm | undefined {
  return (Object.keys(DIGEST_OIDS) as DigestAlgorithm[]).find((d) => DIGEST_OIDS[d] === oid);
}

/** SHA-2 AlgorithmIdentifier with parameters absent (RFC 5754 §2). */
export const digestAlgorithmIdentifier = (digest: DigestAlgorithm): Uint8Array =>
  derAlgorithm(DIGEST_OIDS[digest]);

/** ECDSA with parameters absent (RFC 5758 §3.2); RSA PKCS #1 v1.5 with NULL (RFC 4055 §5). */
export function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): Uint8Array {
  const { oid, keyType } = SIGNATURE_ALGORITHMS[algorithm];
  return keyType === 'rsa' ? derAlgorithm(oid, derNull()) : derAlgorithm(oid);
}
