import { createCsca, issueDocumentSigner, type KeyAndCertificate } from '../pki/development-pki.js';
import type { DistinguishedName } from '../pki/distinguished-name.js';

export const DAY = 24 * 60 * 60 * 1000;
const YEAR = 365 * DAY;

export const CSCA_NAME: DistinguishedName = {
  country: 'VN',
  organization: 'Bộ Công an',
  commonName: 'CSCA Việt Nam (dev)',
};
export const DS_NAME: DistinguishedName = {
  country: 'VN',
  organization: 'Bộ Công an',
  commonName: 'Document Signer 01 (dev)',
};

/** A CSCA valid from yesterday for ten years. */
export function testCsca(subject: DistinguishedName = CSCA_NAME): Promise<KeyAndCertificate> {
  const now = Date.now();
  return createCsca({ subject, notBefore: new Date(now - DAY), notAfter: new Date(now + 10 * YEAR) });
}

/** A Document Signer issued by `csca`, valid from yesterday for three years unless told otherwise. */
export function testDocumentSigner(
  csca: KeyAndCertificate,
  validity: { notBefore: Date; notAfter: Date } = {
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3 * YEAR),
  },
): Promise<KeyAndCertificate> {
  return issueDocumentSigner({ issuer: csca, subject: DS_NAME, ...validity });
}
