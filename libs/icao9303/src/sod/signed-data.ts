import { createHash } from 'node:crypto';
import {
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTime,
} from '../asn1/der.js';
import { Oid } from '../asn1/oids.js';
import { contextTag } from '../asn1/tags.js';
import {
  digestAlgorithmIdentifier,
  signatureAlgorithmIdentifier,
  type DigestAlgorithm,
} from '../pki/algorithms.js';
import { issuerAndSerialNumber } from '../pki/certificate.js';
import type { Signer } from '../pki/signer.js';
import { decodeTlv, encodeTlv } from '../tlv/tlv.js';

const attribute = (oid: string, value: Uint8Array): Uint8Array => derSequence(derOid(oid), derSet(value));

export interface EncapsulatedContent {
  readonly contentType: string;
  readonly content: Uint8Array;
}

/**
 * CMS SignedData (RFC 5652) as Doc 9303 Part 10 §4.6.2 profiles it: version 3, the content
 * encapsulated, one SignerInfo identified by issuer and serial number, the signer's certificate
 * included, and the signed attributes contentType, signingTime and messageDigest. The signature
 * covers the DER SET OF the attributes, which is why they are sorted before signing.
 */
export async function signedData(
  encapsulated: EncapsulatedContent,
  signer: Signer,
  digestAlgorithm: DigestAlgorithm,
  signingTime: Date,
): Promise<Uint8Array> {
  const signerCertificate = issuerAndSerialNumber(signer.certificate);
  const signedAttributes = derSet(
    attribute(Oid.contentType, derOid(encapsulated.contentType)),
    attribute(Oid.signingTime, derTime(signingTime)),
    attribute(
      Oid.messageDigest,
      derOctetString(createHash(digestAlgorithm).update(encapsulated.content).digest()),
    ),
  );
  const signature = await signer.sign(signedAttributes);
  const signerInfo = derSequence(
    derInteger(1),
    derSequence(signerCertificate.issuerName, derInteger(signerCertificate.serialNumber)),
    digestAlgorithmIdentifier(digestAlgorithm),
    // [0] IMPLICIT: the same content octets under a context tag.
    encodeTlv(contextTag(0, true), decodeTlv(signedAttributes).value),
    signatureAlgorithmIdentifier(signer.algorithm),
    derOctetString(signature),
  );
  const content = derSequence(
    derInteger(3),
    derSet(digestAlgorithmIdentifier(digestAlgorithm)),
    derSequence(derOid(encapsulated.contentType), derExplicit(0, derOctetString(encapsulated.content))),
    encodeTlv(contextTag(0, true), signer.certificate),
    derSet(signerInfo),
  );
  return derSequence(derOid(Oid.signedData), derExplicit(0, content));
}
