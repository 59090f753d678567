import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { CSCA_NAME, DAY, DS_NAME, testCsca, testDocumentSigner } from '../test-support/pki.js';
import { issuerAndSerialNumber, readCertificate } from './certificate.js';
import { createCsca, issueDocumentSigner, type KeyAndCertificate } from './development-pki.js';
import { PkiError } from './errors.js';
import { softwareSigner } from './signer.js';

describe('development PKI', () => {
  let csca: KeyAndCertificate;
  let ds: KeyAndCertificate;
  before(async () => {
    csca = await testCsca();
    ds = await testDocumentSigner(csca);
  });

  it('makes a self-signed CSCA that may only sign certificates and CRLs', () => {
    const info = readCertificate(csca.certificate);
    assert.equal(info.isCa, true);
    assert.deepEqual([...info.keyUsage!].sort(), ['cRLSign', 'keyCertSign']);
    assert.deepEqual(info.subjectName, info.issuerName);
    assert.equal(info.isSignedBy(csca.publicKey), true);
    assert.match(info.subject, /C=VN, O=Bộ Công an, CN=CSCA Việt Nam \(dev\)/);
  });

  it('issues a Document Signer that may only sign, named under the CSCA', () => {
    const info = readCertificate(ds.certificate);
    const cscaInfo = readCertificate(csca.certificate);
    assert.equal(info.isCa, false);
    assert.deepEqual([...info.keyUsage!], ['digitalSignature']);
    assert.deepEqual(info.issuerName, cscaInfo.subjectName);
    assert.equal(info.isSignedBy(csca.publicKey), true);
    assert.equal(info.isSignedBy(ds.publicKey), false);
    assert.notEqual(info.serialNumber, cscaInfo.serialNumber);
    assert.ok(info.serialNumber > 0n);
  });

  it('uses the validity and serial number it is given', async () => {
    const notBefore = new Date(Date.UTC(2021, 0, 1));
    const notAfter = new Date(Date.UTC(2031, 0, 1));
    const issued = await issueDocumentSigner({
      issuer: csca,
      subject: DS_NAME,
      notBefore,
      notAfter,
      serialNumber: 4242n,
    });
    const info = readCertificate(issued.certificate);
    assert.deepEqual([info.notBefore, info.notAfter, info.serialNumber], [notBefore, notAfter, 4242n]);
    // The cheap read a SignerInfo is built from agrees with the full parse.
    assert.deepEqual(issuerAndSerialNumber(issued.certificate), {
      issuerName: info.issuerName,
      serialNumber: 4242n,
    });
    assert.throws(() => issuerAndSerialNumber(Uint8Array.of(0x30, 0x00)), PkiError);
  });

  it('refuses a Document Signer of another country than its CSCA', async () => {
    await assert.rejects(
      issueDocumentSigner({
        issuer: csca,
        subject: { ...DS_NAME, country: 'LA' },
        notBefore: new Date(),
        notAfter: new Date(Date.now() + DAY),
      }),
      PkiError,
    );
  });

  it('refuses an inverted validity and a non-positive serial number', async () => {
    const now = Date.now();
    await assert.rejects(
      createCsca({ subject: CSCA_NAME, notBefore: new Date(now), notAfter: new Date(now - DAY) }),
      PkiError,
    );
    await assert.rejects(
      createCsca({
        subject: CSCA_NAME,
        notBefore: new Date(now),
        notAfter: new Date(now + DAY),
        serialNumber: 0n,
      }),
      PkiError,
    );
  });

  it('makes RSA certificates when asked', async () => {
    const rsa = await createCsca({
      subject: CSCA_NAME,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + DAY),
      key: { kind: 'rsa', modulusLength: 2048 },
    });
    assert.equal(rsa.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(readCertificate(rsa.certificate).isSignedBy(rsa.publicKey), true);
  });

  it('builds a software signer only from the key that belongs to the certificate', () => {
    assert.equal(
      softwareSigner({ certificate: ds.certificate, privateKey: ds.privateKey }).algorithm,
      'ecdsa-with-SHA256',
    );
    assert.throws(
      () => softwareSigner({ certificate: ds.certificate, privateKey: csca.privateKey }),
      /does not belong/,
    );
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.throws(
      () =>
        softwareSigner({
          certificate: ds.certificate,
          privateKey: ds.privateKey,
          algorithm: 'sha256WithRSAEncryption',
        }),
      /needs an rsa key/,
    );
    assert.throws(
      () => softwareSigner({ certificate: ds.certificate, privateKey: rsaKey }),
      /does not belong/,
    );
  });
});
