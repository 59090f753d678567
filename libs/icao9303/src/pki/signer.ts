import { createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { bytesEqual } from '../bytes.js';
import { signatureAlgorithmInfo, type SignatureAlgorithm } from './algorithms.js';
import { PkiError } from './errors.js';

/**
 * The Document Signer as a port: EF.SOD is built against this interface so that the key can
 * live in an HSM (PKCS #11 `CKM_ECDSA_SHA256` and the like) without the LDS code knowing.
 */
export interface Signer {
  /** DER of the Document Signer certificate; EF.SOD carries it. */
  readonly certificate: Uint8Array;
  readonly algorithm: SignatureAlgorithm;
  /**
   * Hashes `dataToBeSigned` with the algorithm's digest and signs the hash. ECDSA signatures
   * come back DER-encoded (`Ecdsa-Sig-Value`), as CMS carries them.
   */
  sign(dataToBeSigned: Uint8Array): Promise<Uint8Array>;
}

/** ECDSA: the hash that matches the curve's strength (BSI TR-03110 pairs them the same way). */
const CURVE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  prime256v1: 'ecdsa-with-SHA256',
  secp384r1: 'ecdsa-with-SHA384',
  secp521r1: 'ecdsa-with-SHA512',
};

export function defaultSignatureAlgorithm(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'sha256WithRSAEncryption';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const algorithm = key.asymmetricKeyType === 'ec' && curve ? CURVE_ALGORITHMS[curve] : undefined;
  if (!algorithm)
    throw new PkiError(
      `no signature algorithm for a ${key.asymmetricKeyType ?? 'unknown'} key ${curve ?? ''}`,
    );
  return algorithm;
}

const spki = (key: KeyObject): Uint8Array => key.export({ type: 'spki', format: 'der' });

/** Signs with a private key held in process: for development, tests and the station simulator. */
export function softwareSigner(options: {
  certificate: Uint8Array;
  privateKey: KeyObject;
  algorithm?: SignatureAlgorithm;
}): Signer {
  const { certificate, privateKey } = options;
  const algorithm = options.algorithm ?? defaultSignatureAlgorithm(privateKey);
  const info = signatureAlgorithmInfo(algorithm);
  if (privateKey.asymmetricKeyType !== info.keyType) {
    throw new PkiError(
      `${algorithm} needs an ${info.keyType} key, got ${privateKey.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  // A key that does not match the certificate would make every SOD fail verification later.
  if (!bytesEqual(spki(new X509Certificate(certificate).publicKey), spki(createPublicKey(privateKey)))) {
    throw new PkiError('the private key does not belong to the Document Signer certificate');
  }
  return {
    certificate,
    algorithm,
    sign: (data) => Promise.resolve(sign(info.digest, data, { key: privateKey, dsaEncoding: 'der' })),
  };
}
