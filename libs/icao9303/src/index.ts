// MRZ (Doc 9303 Parts 3 and 5)
export * from './mrz/errors.js';
export { checkDigit } from './mrz/check-digit.js';
export { formatName, parseName, type FormattedName, type MrzName } from './mrz/names.js';
export { mrzDate, type PartialDate } from './mrz/dates.js';
export * from './mrz/td1.js';
export * from './mrz/vietnam-td1.js';

// BER-TLV and the DER subset the LDS and CMS need
export { TlvError } from './tlv/errors.js';
export { encodeTag, isConstructed } from './tlv/tag.js';
export { encodeLength } from './tlv/length.js';
export * from './tlv/tlv.js';
export { Asn1, contextTag } from './asn1/tags.js';
export { Oid } from './asn1/oids.js';

// LDS files (Doc 9303 Part 10)
export { LdsError } from './lds/errors.js';
export { dataGroupNumber, dataGroupTag, EF_COM_TAG, EF_SOD_TAG } from './lds/data-groups.js';
export * from './lds/ef-com.js';
export * from './lds/dg1.js';
export * from './lds/dg2.js';
export * from './lds/face-record.js';
export { inspectImage, type FaceImageEncoding, type ImageInfo } from './lds/image-info.js';
export * from './lds/dg13.js';
export * from './lds/vietnam-dg13.js';

// PKI (Doc 9303 Part 12): signer port, certificates, development keys
export { PkiError } from './pki/errors.js';
export type { DigestAlgorithm, SignatureAlgorithm } from './pki/algorithms.js';
export { defaultSignatureAlgorithm, softwareSigner, type Signer } from './pki/signer.js';
export { issuerAndSerialNumber, readCertificate, type CertificateInfo } from './pki/certificate.js';
export type { DistinguishedName } from './pki/distinguished-name.js';
export {
  createCsca,
  issueDocumentSigner,
  type CscaOptions,
  type DocumentSignerOptions,
  type KeyAndCertificate,
  type KeySpec,
} from './pki/development-pki.js';

// EF.SOD and passive authentication (Doc 9303 Parts 10 and 11)
export { SodError } from './sod/errors.js';
export * from './sod/lds-security-object.js';
export * from './sod/sod-file.js';
export type {
  SignedAttributes,
  SignedDataContent,
  SignerIdentifier,
  SignerInfo,
} from './sod/signed-data-reader.js';
export * from './sod/passive-authentication.js';
