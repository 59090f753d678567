import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { Oid } from '../asn1/oids.js';
import { defaultSignatureAlgorithm } from './signer.js';
import {
  authorityKeyIdentifierExtension,
  caBasicConstraintsExtension,
  documentTypeListExtension,
  keyIdentifier,
  keyUsageExtension,
  signCertificate,
  subjectKeyIdentifierExtension,
} from './certificate-builder.js';
import { toX509Name, type DistinguishedName } from './distinguished-name.js';
import { PkiError } from './errors.js';

/**
 * Development PKI: a country signing CA (CSCA) and Document Signers it issues, with software
 * keys. Production keys live in an HSM; this is for tests, local runs and the station simulator.
 */

export type KeySpec =
  | { readonly kind: 'ec'; readonly curve: 'P-256' | 'P-384' | 'P-521' }
  | { readonly kind: 'rsa'; readonly modulusLength: number };

export interface KeyAndCertificate {
  /** DER. */
  readonly certificate: Uint8Array;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface CscaOptions {
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Random 16 bytes when not given. */
  readonly serialNumber?: bigint;
  /** ECDSA P-256 when not given. */
  readonly key?: KeySpec;
}

const generate = promisify(generateKeyPair);

async function newKeyPair(
  spec: KeySpec = { kind: 'ec', curve: 'P-256' },
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return spec.kind === 'ec'
    ? generate('ec', { namedCurve: spec.curve })
    : generate('rsa', { modulusLength: spec.modulusLength });
}

/** Positive and below 2^127, so that DER needs no leading zero and it stays within 16 bytes. */
function randomSerialNumber(): bigint {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return BigInt(`0x${bytes.toString('hex')}`) || 1n;
}

/** Self-signed CSCA: basicConstraints CA with path length 0, key usage keyCertSign and cRLSign. */
export async function createCsca(options: CscaOptions): Promise<KeyAndCertificate> {
  const keys = await newKeyPair(options.key);
  const name = toX509Name(options.subject);
  const certificate = signCertificate(
    {
      subject: name,
      issuer: name,
      serialNumber: options.serialNumber ?? randomSerialNumber(),
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      subjectPublicKey: keys.publicKey,
      extensions: [
        caBasicConstraintsExtension(0),
        keyUsageExtension(['keyCertSign', 'cRLSign']),
        subjectKeyIdentifierExtension(keys.publicKey),
      ],
    },
    keys.privateKey,
    defaultSignatureAlgorithm(keys.privateKey),
  );
  return { certificate, ...keys };
}

export interface DocumentSignerOptions extends CscaOptions {
  readonly issuer: KeyAndCertificate;
  /** Document types the signer may sign (Doc 9303 Part 12 document type list); `ID` when not given. */
  readonly documentTypes?: readonly string[];
}

/** A Document Signer certificate issued by `issuer`: key usage digitalSignature only. */
export async function issueDocumentSigner(options: DocumentSignerOptions): Promise<KeyAndCertificate> {
  const issuerCertificate = AsnConvert.parse(options.issuer.certificate, Certificate);
  const subject = toX509Name(options.subject);
  const issuerCountry = issuerCertificate.tbsCertificate.subject
    .flatMap((rdn) => [...rdn])
    .find((attribute) => attribute.type === Oid.countryName)
    ?.value.toString();
  if (issuerCountry !== options.subject.country) {
    throw new PkiError(
      `a Document Signer of ${options.subject.country} cannot be issued by the CSCA of ${issuerCountry ?? '?'}`,
    );
  }
  const keys = await newKeyPair(options.key);
  const certificate = signCertificate(
    {
      subject,
      issuer: issuerCertificate.tbsCertificate.subject,
      serialNumber: options.serialNumber ?? randomSerialNumber(),
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      subjectPublicKey: keys.publicKey,
      extensions: [
        keyUsageExtension(['digitalSignature']),
        authorityKeyIdentifierExtension(keyIdentifier(options.issuer.publicKey)),
        subjectKeyIdentifierExtension(keys.publicKey),
        documentTypeListExtension(options.documentTypes ?? ['ID']),
      ],
    },
    options.issuer.privateKey,
    defaultSignatureAlgorithm(options.issuer.privateKey),
  );
  return { certificate, ...keys };
}
