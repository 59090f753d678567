import { X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { readInteger } from '../asn1/der-read.js';
import { decodeTlv } from '../tlv/tlv.js';
import type { KeyUsageName } from './certificate-builder.js';
import { PkiError } from './errors.js';

/** What passive authentication needs to know about a certificate. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  /** Readable, for reports: `C=VN, O=…, CN=…`. */
  readonly subject: string;
  /** DER of the subject and issuer names as encoded in the certificate, for exact matching. */
  readonly subjectName: Uint8Array;
  readonly issuerName: Uint8Array;
  readonly serialNumber: bigint;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Undefined when the certificate has no key usage extension. */
  readonly keyUsage: ReadonlySet<KeyUsageName> | undefined;
  readonly isCa: boolean;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  readonly publicKey: KeyObject;
  /** Whether `issuerKey` made this certificate's signature. */
  isSignedBy(issuerKey: KeyObject): boolean;
}

/** The TBSCertificate's fields from the serial number on (the version, when present, skipped). */
function tbsFields(der: Uint8Array) {
  const tbs = decodeTlv(der).children[0]!;
  return tbs.children[0]?.tag === 0xa0 ? tbs.children.slice(1) : tbs.children;
}

/**
 * What a CMS SignerInfo names its signer by: the issuer name (DER, exactly as encoded) and the
 * serial number, read straight from the TBSCertificate without parsing the rest, so that signing
 * many EF.SODs with one Document Signer does not parse its certificate each time.
 */
export function issuerAndSerialNumber(der: Uint8Array): { issuerName: Uint8Array; serialNumber: bigint } {
  try {
    const fields = tbsFields(der);
    return {
      issuerName: fields[2]!.encoded,
      serialNumber: readInteger(fields[0]!, 'certificate serial number'),
    };
  } catch (error) {
    throw new PkiError(
      `not a readable certificate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Parses a DER certificate; anything unreadable is a {@link PkiError}. */
export function readCertificate(der: Uint8Array): CertificateInfo {
  try {
    const parsed = AsnConvert.parse(der, Certificate);
    const x509 = new X509Certificate(der);
    // Names as raw bytes, straight from the TBSCertificate: re-encoding could hide a difference.
    const fields = tbsFields(der);
    const extension = (oid: string): ArrayBuffer | undefined =>
      parsed.tbsCertificate.extensions?.find((e) => e.extnID === oid)?.extnValue.buffer;
    const keyUsageDer = extension(id_ce_keyUsage);
    const flags = keyUsageDer ? AsnConvert.parse(keyUsageDer, KeyUsage).toNumber() : undefined;
    const basicConstraints = extension(id_ce_basicConstraints);
    const ski = extension(id_ce_subjectKeyIdentifier);
    return {
      der,
      subject: x509.subject.split('\n').join(', '),
      subjectName: fields[4]!.encoded,
      issuerName: fields[2]!.encoded,
      serialNumber: readInteger(fields[0]!, 'certificate serial number'),
      notBefore: parsed.tbsCertificate.validity.notBefore.getTime(),
      notAfter: parsed.tbsCertificate.validity.notAfter.getTime(),
      keyUsage:
        flags === undefined
          ? undefined
          : new Set(
              (Object.keys(KeyUsageFlags) as KeyUsageName[]).filter(
                (k) => isNaN(Number(k)) && flags & KeyUsageFlags[k],
              ),
            ),
      isCa: basicConstraints ? AsnConvert.parse(basicConstraints, BasicConstraints).cA : false,
      subjectKeyIdentifier: ski
        ? new Uint8Array(AsnConvert.parse(ski, SubjectKeyIdentifier).buffer)
        : undefined,
      publicKey: x509.publicKey,
      isSignedBy: (issuerKey) => x509.verify(issuerKey),
    };
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError(
      `not a readable certificate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
