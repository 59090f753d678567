import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { asciiBytes } from '../bytes.js';
import { derTime } from '../asn1/der.js';
import { keyUsageExtension, signCertificate } from '../pki/certificate-builder.js';
import { createCsca, issueDocumentSigner, type KeyAndCertificate } from '../pki/development-pki.js';
import { toX509Name } from '../pki/distinguished-name.js';
import { softwareSigner } from '../pki/signer.js';
import { cardDataGroups } from '../test-support/card-files.js';
import { CSCA_NAME, DAY, DS_NAME, testCsca, testDocumentSigner } from '../test-support/pki.js';
import { passiveAuthentication, type PassiveAuthenticationResult } from './passive-authentication.js';
import { buildSod } from './sod-file.js';

const checks = (result: PassiveAuthenticationResult): string[] => result.failures.map((f) => f.check);

/** Copy of `bytes` with the first occurrence of `find` replaced by `replace` (same length). */
function replaceBytes(bytes: Uint8Array, find: Uint8Array, replace: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes).indexOf(find);
  assert.ok(at >= 0, 'bytes to replace not found');
  const copy = bytes.slice();
  copy.set(replace, at);
  return copy;
}

async function sodSignedBy(
  ds: KeyAndCertificate,
  files = cardDataGroups(),
  signingTime?: Date,
): Promise<Uint8Array> {
  const signer = softwareSigner({ certificate: ds.certificate, privateKey: ds.privateKey });
  return buildSod({ dataGroups: files, signer, ...(signingTime ? { signingTime } : {}) });
}

describe('passive authentication', () => {
  let csca: KeyAndCertificate;
  let ds: KeyAndCertificate;
  let sod: Uint8Array;
  const files = cardDataGroups();
  const signingTime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  before(async () => {
    csca = await testCsca();
    ds = await testDocumentSigner(csca);
    sod = await sodSignedBy(ds, files, signingTime);
  });

  it('accepts an untouched card and says who signed it', () => {
    const result = passiveAuthentication({ sod, dataGroups: files, trustedCscas: [csca.certificate] });
    assert.deepEqual(result.failures, []);
    assert.equal(result.valid, true);
    assert.deepEqual(result.dataGroups, [
      { dataGroup: 1, status: 'match' },
      { dataGroup: 2, status: 'match' },
      { dataGroup: 13, status: 'match' },
    ]);
    assert.match(result.documentSigner!.subject, /CN=Document Signer 01/);
    assert.match(result.csca!.subject, /CN=CSCA Việt Nam/);
    assert.deepEqual(result.signingTime, signingTime);
  });

  it('accepts a card whose reader skipped a data group, and says so', () => {
    const read = new Map([...files].filter(([n]) => n !== 13));
    const result = passiveAuthentication({ sod, dataGroups: read, trustedCscas: [csca.certificate] });
    assert.equal(result.valid, true);
    assert.deepEqual(result.dataGroups.at(-1), { dataGroup: 13, status: 'not-read' });
  });

  it('refuses a tampered data group and names it', () => {
    const dg13 = files.get(13)!;
    const tampered = new Map(files).set(13, replaceBytes(dg13, asciiBytes('Kinh'), asciiBytes('Kinj')));
    const result = passiveAuthentication({ sod, dataGroups: tampered, trustedCscas: [csca.certificate] });
    assert.equal(result.valid, false);
    assert.deepEqual(result.failures, [
      { check: 'data-group-hash', message: 'data group 13 does not match its hash in EF.SOD', dataGroup: 13 },
    ]);
    assert.deepEqual(result.dataGroups.at(-1), { dataGroup: 13, status: 'mismatch' });
  });

  it('refuses a data group that EF.SOD does not list', async () => {
    const withoutDg13 = await sodSignedBy(ds, new Map([...files].filter(([n]) => n !== 13)));
    const result = passiveAuthentication({
      sod: withoutDg13,
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['data-group-listed']);
    assert.deepEqual(result.dataGroups.at(-1), { dataGroup: 13, status: 'not-in-sod' });
  });

  it('refuses a data group swapped together with its hash in EF.SOD', () => {
    const dg1 = files.get(1)!;
    const forged = replaceBytes(dg1, asciiBytes('NGUYEN<<VAN<AN'), asciiBytes('TRAN<<<<VAN<AN'));
    const forgedSod = replaceBytes(
      sod,
      createHash('sha256').update(dg1).digest(),
      createHash('sha256').update(forged).digest(),
    );
    const result = passiveAuthentication({
      sod: forgedSod,
      dataGroups: new Map(files).set(1, forged),
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['message-digest']);
  });

  it('refuses changed signed attributes and a changed signature', () => {
    const laterTime = replaceBytes(
      sod,
      derTime(signingTime),
      derTime(new Date(signingTime.getTime() + 1000)),
    );
    const lateResult = passiveAuthentication({
      sod: laterTime,
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(lateResult), ['signature']);
    const badSignature = sod.slice();
    badSignature[badSignature.length - 1]! ^= 0x01;
    const badResult = passiveAuthentication({
      sod: badSignature,
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(badResult), ['signature']);
  });

  it('refuses a Document Signer issued by another CSCA of the same name', async () => {
    const impostor = await testCsca();
    const otherSod = await sodSignedBy(await testDocumentSigner(impostor), files);
    const result = passiveAuthentication({
      sod: otherSod,
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['signer-certificate-signature']);
    assert.equal(result.csca, undefined);
    const trustingBoth = passiveAuthentication({
      sod: otherSod,
      dataGroups: files,
      trustedCscas: [csca.certificate, impostor.certificate],
    });
    assert.equal(trustingBoth.valid, true, 'a second trusted CSCA of the same name is found by its key');
  });

  it('refuses a Document Signer whose issuer is not a trusted CSCA', async () => {
    const foreign = await testCsca({ ...CSCA_NAME, commonName: 'Some other CSCA' });
    const result = passiveAuthentication({
      sod: await sodSignedBy(await testDocumentSigner(foreign), files),
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['signer-certificate-trusted']);
  });

  it('refuses an expired Document Signer, and judges validity at the date asked', async () => {
    const expired = await testDocumentSigner(csca, {
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 35 * DAY),
    });
    const expiredSod = await sodSignedBy(expired, files);
    const result = passiveAuthentication({
      sod: expiredSod,
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['signer-certificate-validity']);
    assert.match(result.failures[0]!.message, /expired on/);
    const early = passiveAuthentication({
      sod,
      dataGroups: files,
      trustedCscas: [csca.certificate],
      at: new Date(Date.now() - 2 * DAY),
    });
    assert.deepEqual(checks(early), ['signer-certificate-validity', 'csca-validity']);
    assert.match(early.failures[0]!.message, /not valid before/);
  });

  it('refuses a Document Signer without digitalSignature and a trust anchor that is not a CA', async () => {
    const now = Date.now();
    const noSigning = signCertificate(
      {
        subject: toX509Name(DS_NAME),
        issuer: toX509Name(CSCA_NAME),
        serialNumber: 7n,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + DAY),
        subjectPublicKey: ds.publicKey,
        extensions: [keyUsageExtension(['keyEncipherment'])],
      },
      csca.privateKey,
      'ecdsa-with-SHA256',
    );
    const result = passiveAuthentication({
      sod: await sodSignedBy({ ...ds, certificate: noSigning }, files),
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['signer-certificate-key-usage']);

    const notCa = await createCsca({
      subject: CSCA_NAME,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
    });
    const notCaCertificate = signCertificate(
      {
        subject: toX509Name(CSCA_NAME),
        issuer: toX509Name(CSCA_NAME),
        serialNumber: 8n,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + DAY),
        subjectPublicKey: notCa.publicKey,
        extensions: [keyUsageExtension(['digitalSignature'])],
      },
      notCa.privateKey,
      'ecdsa-with-SHA256',
    );
    const underNotCa = await issueDocumentSigner({
      issuer: { ...notCa, certificate: notCaCertificate },
      subject: DS_NAME,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
    });
    const notCaResult = passiveAuthentication({
      sod: await sodSignedBy(underNotCa, files),
      dataGroups: files,
      trustedCscas: [notCaCertificate],
    });
    assert.deepEqual(checks(notCaResult), ['csca-is-ca']);
  });

  it('verifies RSA Document Signers too', async () => {
    const now = Date.now();
    const rsaCsca = await createCsca({
      subject: CSCA_NAME,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
      key: { kind: 'rsa', modulusLength: 2048 },
    });
    const rsaDs = await issueDocumentSigner({
      issuer: rsaCsca,
      subject: DS_NAME,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + DAY),
      key: { kind: 'rsa', modulusLength: 2048 },
    });
    const result = passiveAuthentication({
      sod: await sodSignedBy(rsaDs, files),
      dataGroups: files,
      trustedCscas: [rsaCsca.certificate],
    });
    assert.deepEqual(result.failures, []);
  });

  it('reports an unreadable EF.SOD instead of throwing', () => {
    const result = passiveAuthentication({
      sod: sod.subarray(0, 100),
      dataGroups: files,
      trustedCscas: [csca.certificate],
    });
    assert.deepEqual(checks(result), ['sod-readable']);
    assert.match(result.failures[0]!.message, /truncated/);
    assert.deepEqual(result.dataGroups, []);
  });
});
