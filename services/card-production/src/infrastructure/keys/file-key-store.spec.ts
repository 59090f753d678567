import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { issueDocumentSigner, passiveAuthentication, readCertificate, type Signer } from '@cancuoc/icao9303';
import { CalendarDate } from '@cancuoc/identity';
import { readFile } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { buildChip } from '../../application/chip-builder.js';
import { SignerUnavailableError } from '../../application/ports.js';
import { cardContents } from '../../domain/personalisation/card-contents.js';
import { dataGroupsOf } from '../../domain/personalisation/chip-image.js';
import { portrait } from '../../test-support/portraits.js';
import { embeddedDataKey, FileKeyStore } from './file-key-store.js';
import { certificatePem, pemBody } from './pem.js';

const DAY = 86_400_000;
const options = (dir: string) => ({
  dir,
  developmentPki: true,
  signingPeriodMs: 90 * DAY,
  verificationPeriodMs: 23 * 365 * DAY,
});

async function card(signer: { keyId: string; signer: Signer }, seed: string) {
  const now = new Date();
  const contents = cardContents(
    {
      personalId: '079203001234',
      familyName: 'Trần',
      middleName: 'Văn',
      givenName: 'An',
      birthDate: '2003-05-14',
      sex: 'male',
      nationality: 'VNM',
      ethnicity: 'Kinh',
      religion: 'Không',
      homeTown: null,
      permanentResidence: null,
    },
    CalendarDate.fromInstant(now),
  );
  return (await buildChip(contents, portrait(seed), signer, 'male', now)).files;
}

function verifies(files: Awaited<ReturnType<typeof card>>, csca: Uint8Array, at = new Date()) {
  return passiveAuthentication({
    sod: files.efSod,
    dataGroups: dataGroupsOf(files),
    trustedCscas: [csca],
    at,
  });
}

describe('keys: the CSCA and Document Signers in the key directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('makes a development CSCA and Document Signer on first start and keeps them', async () => {
    const first = await FileKeyStore.open(options(dir));
    const signer = await first.current(new Date());
    const again = await FileKeyStore.open(options(dir));
    assert.equal((await again.current(new Date())).keyId, signer.keyId, 'a restart signs with the same key');
    assert.deepEqual(await again.cscaCertificates(), await first.cscaCertificates());
    const csca = readCertificate((await first.cscaCertificates())[0]!);
    assert.equal(csca.isCa, true);
    const ds = readCertificate(signer.signer.certificate);
    assert.ok(ds.isSignedBy(csca.publicKey));
    assert.equal(Buffer.from(ds.subjectKeyIdentifier!).toString('hex'), signer.keyId);
  });

  it('keeps the keys readable by this user only', async () => {
    await FileKeyStore.open(options(dir));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'csca.key.pem'))).mode & 0o777, 0o600);
    const signers = join(dir, 'document-signers');
    const keys = (await readdir(signers)).filter((f) => f.endsWith('.key.pem'));
    assert.equal(keys.length, 1);
    assert.equal((await stat(join(signers, keys[0]!))).mode & 0o777, 0o600);
  });

  it('rotates the Document Signer; a card signed before still passes passive authentication after', async () => {
    const keys = await FileKeyStore.open(options(dir));
    const csca = (await keys.cscaCertificates())[0]!;
    const before = await keys.current(new Date());
    const oldCard = await card(before, 'before');
    const { retired, current } = await keys.rotate(new Date());
    assert.equal(retired.keyId, before.keyId);
    assert.notEqual(current.keyId, before.keyId);
    const after = await keys.current(new Date());
    assert.equal(after.keyId, current.keyId, 'new cards are signed with the next key');
    const newCard = await card(after, 'after');

    for (const files of [oldCard, newCard]) assert.equal(verifies(files, csca).valid, true);
    // Also years on, while the certificate covers the cards it signed.
    assert.equal(verifies(oldCard, csca, new Date(Date.now() + 20 * 365 * DAY)).valid, true);
    const listed = await keys.certificates(new Date());
    assert.deepEqual(
      listed.map((s) => [s.keyId, s.current]).sort(),
      [
        [before.keyId, false],
        [current.keyId, true],
      ].sort(),
      'the retired certificate stays listed for relying parties',
    );
    // A restart keeps the rotation.
    assert.equal((await (await FileKeyStore.open(options(dir))).current(new Date())).keyId, current.keyId);
  });

  it('moves on to a new development signer by itself when the signing period ends', async () => {
    const keys = await FileKeyStore.open({ ...options(dir), signingPeriodMs: 60_000 });
    const now = await keys.current(new Date());
    const later = await keys.current(new Date(Date.now() + 120_000));
    assert.notEqual(later.keyId, now.keyId);
  });

  it('outside development, makes no keys: a missing CSCA refuses to start, rotation needs the next signer provisioned', async () => {
    await assert.rejects(
      FileKeyStore.open({ ...options(dir), developmentPki: false }),
      /no CSCA certificate/,
    );
    await FileKeyStore.open(options(dir));
    const production = await FileKeyStore.open({ ...options(dir), developmentPki: false });
    const before = await production.current(new Date());
    await assert.rejects(production.rotate(new Date()), SignerUnavailableError);

    // The next Document Signer is issued offline by the CSCA and dropped into the directory.
    const cscaCert = pemBody(await readFile(join(dir, 'csca.cert.pem'), 'utf8'));
    const issued = await issueDocumentSigner({
      issuer: {
        certificate: cscaCert,
        privateKey: createPrivateKey(await readFile(join(dir, 'csca.key.pem'), 'utf8')),
        publicKey: readCertificate(cscaCert).publicKey,
      },
      subject: { country: 'VN', organization: 'Bộ Công an', commonName: 'Document Signer 2' },
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 20 * 365 * DAY),
    });
    const id = Buffer.from(readCertificate(issued.certificate).subjectKeyIdentifier!).toString('hex');
    await writeFile(join(dir, 'document-signers', `${id}.cert.pem`), certificatePem(issued.certificate));
    await writeFile(
      join(dir, 'document-signers', `${id}.key.pem`),
      issued.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    await writeFile(
      join(dir, 'document-signers', `${id}.json`),
      JSON.stringify({
        signsFrom: new Date(Date.now() + 30 * DAY).toISOString(),
        signsUntil: new Date(Date.now() + 120 * DAY).toISOString(),
      }),
    );
    const rescanned = await FileKeyStore.open({ ...options(dir), developmentPki: false });
    assert.equal(
      (await rescanned.current(new Date())).keyId,
      before.keyId,
      'a future signer waits for its period',
    );
    const { current } = await rescanned.rotate(new Date());
    assert.equal(current.keyId, id);
    assert.equal((await rescanned.current(new Date())).keyId, id);
  });

  it('keeps the vault’s key-encryption key beside the keys, made once', async () => {
    const key = await embeddedDataKey(dir);
    assert.equal(key.length, 32);
    assert.deepEqual(await embeddedDataKey(dir), key);
    assert.equal((await stat(join(dir, 'data-key'))).mode & 0o777, 0o600);
  });
});
