import {
  readAlgorithmOid,
  readInteger,
  readOctetString,
  readOid,
  readSmallInteger,
  readTime,
} from '../asn1/der-read.js';
import { Oid } from '../asn1/oids.js';
import { Asn1, contextTag } from '../asn1/tags.js';
import { childAt, decodeTlv, encodeTlv, expectTag, type Tlv } from '../tlv/tlv.js';
import { SodError } from './errors.js';

export type SignerIdentifier =
  | {
      readonly kind: 'issuer-and-serial-number';
      readonly issuerName: Uint8Array;
      readonly serialNumber: bigint;
    }
  | { readonly kind: 'subject-key-identifier'; readonly keyIdentifier: Uint8Array };

export interface SignedAttributes {
  /** The attributes re-tagged as the DER SET OF that the signature covers (RFC 5652 §5.4). */
  readonly signedBytes: Uint8Array;
  readonly contentType: string | undefined;
  readonly messageDigest: Uint8Array | undefined;
  readonly signingTime: Date | undefined;
}

export interface SignerInfo {
  readonly signerIdentifier: SignerIdentifier;
  readonly digestAlgorithm: string;
  readonly signedAttributes: SignedAttributes | undefined;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

export interface SignedDataContent {
  readonly contentType: string;
  readonly content: Uint8Array;
  /** DER of every certificate carried in the SignedData. */
  readonly certificates: readonly Uint8Array[];
  readonly signerInfo: SignerInfo;
}

function readSignerIdentifier(node: Tlv): SignerIdentifier {
  if (node.tag === Asn1.SEQUENCE) {
    const [issuer, serial] = node.children;
    if (!issuer || !serial) throw new SodError('issuerAndSerialNumber has the wrong fields');
    return {
      kind: 'issuer-and-serial-number',
      issuerName: expectTag(issuer, Asn1.SEQUENCE, 'issuer').encoded,
      serialNumber: readInteger(serial, 'serialNumber'),
    };
  }
  if (node.tag === contextTag(0, false)) return { kind: 'subject-key-identifier', keyIdentifier: node.value };
  throw new SodError(`signer identifier has tag 0x${node.tag.toString(16)}`);
}

function readSignedAttributes(node: Tlv): SignedAttributes {
  const values = new Map<string, Tlv>();
  for (const attribute of node.children) {
    expectTag(attribute, Asn1.SEQUENCE, 'Attribute');
    const oid = readOid(childAt(attribute, 0, 'attribute type'), 'attribute type');
    if (values.has(oid)) throw new SodError(`signed attribute ${oid} appears twice`);
    const members = expectTag(
      childAt(attribute, 1, 'attribute values'),
      Asn1.SET,
      `attribute ${oid} values`,
    ).children;
    if (members.length !== 1) throw new SodError(`signed attribute ${oid} must have exactly one value`);
    values.set(oid, members[0]!);
  }
  const contentType = values.get(Oid.contentType);
  const messageDigest = values.get(Oid.messageDigest);
  const signingTime = values.get(Oid.signingTime);
  return {
    signedBytes: encodeTlv(Asn1.SET, node.value),
    contentType: contentType && readOid(contentType, 'contentType attribute'),
    messageDigest: messageDigest && readOctetString(messageDigest, 'messageDigest attribute'),
    signingTime: signingTime && readTime(signingTime, 'signingTime attribute'),
  };
}

function readSignerInfo(node: Tlv): SignerInfo {
  const fields = [...expectTag(node, Asn1.SEQUENCE, 'SignerInfo').children];
  const [version, sid, digest] = fields.splice(0, 3);
  if (!version || !sid || !digest) throw new SodError('SignerInfo has the wrong fields');
  readSmallInteger(version, 'SignerInfo version');
  const attributes = fields[0]?.tag === contextTag(0, true) ? fields.shift() : undefined;
  const [signatureAlgorithm, signature] = fields;
  if (!signatureAlgorithm || !signature) throw new SodError('SignerInfo lacks its signature');
  return {
    signerIdentifier: readSignerIdentifier(sid),
    digestAlgorithm: readAlgorithmOid(digest, 'SignerInfo digestAlgorithm'),
    signedAttributes: attributes && readSignedAttributes(attributes),
    signatureAlgorithm: readAlgorithmOid(signatureAlgorithm, 'SignerInfo signatureAlgorithm'),
    signature: readOctetString(signature, 'SignerInfo signature'),
  };
}

/** Reads a CMS ContentInfo holding SignedData with encapsulated content and one SignerInfo. */
export function readSignedData(contentInfo: Uint8Array): SignedDataContent {
  const [type, explicit] = expectTag(decodeTlv(contentInfo), Asn1.SEQUENCE, 'ContentInfo').children;
  if (!type || !explicit || readOid(type, 'ContentInfo contentType') !== Oid.signedData) {
    throw new SodError('ContentInfo does not hold SignedData');
  }
  const signedData = expectTag(
    childAt(expectTag(explicit, contextTag(0, true), 'ContentInfo content'), 0, 'SignedData'),
    Asn1.SEQUENCE,
    'SignedData',
  );
  const fields = [...signedData.children];
  const [version, , encapsulated] = fields.splice(0, 3);
  if (!version || !encapsulated) throw new SodError('SignedData has the wrong fields');
  const v = readSmallInteger(version, 'SignedData version');
  if (v !== 3) throw new SodError(`SignedData version is ${v}; Doc 9303 requires 3`);
  const certificates = fields[0]?.tag === contextTag(0, true) ? fields.shift()!.children : [];
  if (fields[0]?.tag === contextTag(1, true)) fields.shift(); // CRLs: not used by passive authentication
  const [signerInfoSet, ...extra] = fields;
  if (!signerInfoSet || extra.length > 0) throw new SodError('SignedData has the wrong fields');
  const signerInfos = expectTag(signerInfoSet, Asn1.SET, 'signerInfos').children;
  if (signerInfos.length !== 1) throw new SodError('EF.SOD must hold exactly one SignerInfo');

  expectTag(encapsulated, Asn1.SEQUENCE, 'encapContentInfo');
  const eContent = expectTag(childAt(encapsulated, 1, 'eContent'), contextTag(0, true), 'eContent');
  return {
    contentType: readOid(childAt(encapsulated, 0, 'eContentType'), 'eContentType'),
    content: readOctetString(childAt(eContent, 0, 'eContent'), 'eContent'),
    certificates: certificates.filter((c) => c.tag === Asn1.SEQUENCE).map((c) => c.encoded),
    signerInfo: readSignerInfo(signerInfos[0]!),
  };
}
