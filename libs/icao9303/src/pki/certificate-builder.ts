import { createHash, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  type Name,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { derInteger, derPrintableString, derSequence, derSet, integerContent } from '../asn1/der.js';
import { Oid } from '../asn1/oids.js';
import {
  signatureAlgorithmIdentifier,
  signatureAlgorithmInfo,
  type SignatureAlgorithm,
} from './algorithms.js';
import { PkiError } from './errors.js';

/** An extension as the certificate carries it: OID, criticality, DER value. */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** Only CA certificates carry basic constraints in the ICAO profile (Doc 9303 Part 12 §7.1.1). */
export const caBasicConstraintsExtension = (pathLength: number): CertificateExtension => ({
  oid: id_ce_basicConstraints,
  critical: true,
  value: new Uint8Array(
    AsnConvert.serialize(new BasicConstraints({ cA: true, pathLenConstraint: pathLength })),
  ),
});

export type KeyUsageName = keyof typeof KeyUsageFlags;

export const keyUsageExtension = (usages: readonly KeyUsageName[]): CertificateExtension => ({
  oid: id_ce_keyUsage,
  critical: true,
  value: new Uint8Array(AsnConvert.serialize(new KeyUsage(usages.reduce((f, u) => f | KeyUsageFlags[u], 0)))),
});

/** Doc 9303 Part 12 §7.1.1.3: the document types (`ID`, `P`, …) a Document Signer may sign. */
export const documentTypeListExtension = (documentTypes: readonly string[]): CertificateExtension => ({
  oid: Oid.documentTypeList,
  critical: false,
  value: derSequence(derInteger(0), derSet(...documentTypes.map(derPrintableString))),
});

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. An identifier, not a security hash. */
export function keyIdentifier(publicKey: KeyObject): Uint8Array {
  const info = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  return createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest();
}

export const subjectKeyIdentifierExtension = (publicKey: KeyObject): CertificateExtension => ({
  oid: id_ce_subjectKeyIdentifier,
  critical: false,
  value: new Uint8Array(AsnConvert.serialize(new SubjectKeyIdentifier(keyIdentifier(publicKey)))),
});

export const authorityKeyIdentifierExtension = (issuerKeyIdentifier: Uint8Array): CertificateExtension => ({
  oid: id_ce_authorityKeyIdentifier,
  critical: false,
  value: new Uint8Array(
    AsnConvert.serialize(
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyIdentifier) }),
    ),
  ),
});

export interface CertificateTemplate {
  readonly subject: Name;
  readonly issuer: Name;
  /** Positive; RFC 5280 allows up to 20 bytes. */
  readonly serialNumber: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKey: KeyObject;
  readonly extensions: readonly CertificateExtension[];
}

/** Builds an X.509 v3 certificate and signs it with the issuer's key. */
export function signCertificate(
  template: CertificateTemplate,
  issuerKey: KeyObject,
  algorithm: SignatureAlgorithm,
): Uint8Array {
  if (template.serialNumber <= 0n) throw new PkiError('a certificate serial number must be positive');
  if (integerContent(template.serialNumber).length > 20)
    throw new PkiError('a serial number has 20 bytes at most');
  if (template.notAfter <= template.notBefore) throw new PkiError('notAfter must be after notBefore');
  if (issuerKey.asymmetricKeyType !== signatureAlgorithmInfo(algorithm).keyType) {
    throw new PkiError(`${algorithm} cannot be made with a ${issuerKey.asymmetricKeyType ?? 'unknown'} key`);
  }
  const signature = AsnConvert.parse(signatureAlgorithmIdentifier(algorithm), AlgorithmIdentifier);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: integerContent(template.serialNumber).slice().buffer,
    signature,
    issuer: template.issuer,
    validity: new Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(
      template.subjectPublicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(
      template.extensions.map(
        (e) => new Extension({ extnID: e.oid, critical: e.critical, extnValue: new OctetString(e.value) }),
      ),
    ),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signatureValue = sign(signatureAlgorithmInfo(algorithm).digest, tbsDer, {
    key: issuerKey,
    dsaEncoding: 'der',
  });
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signature,
    signatureValue: Uint8Array.from(signatureValue).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}
