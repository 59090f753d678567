/**
 * The chip's files as card production writes them, checked the way a relying party would: passive
 * authentication against the CSCA, and independently with OpenSSL (`openssl cms -verify` with the
 * CSCA as trust anchor, `openssl dgst` of each data group against the hash EF.SOD signed).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  parseDg1,
  parseDg13,
  parseDg2,
  parseEfCom,
  parseSod,
  passiveAuthentication,
  readVietnamDg13,
  readVietnamTd1,
  unwrapSod,
} from '@cancuoc/icao9303';
import { CalendarDate } from '@cancuoc/identity';
import { chipImageSha256, CHIP_FILE_ORDER, dataGroupsOf } from '../domain/personalisation/chip-image.js';
import { cardContents } from '../domain/personalisation/card-contents.js';
import { FileKeyStore } from '../infrastructure/keys/file-key-store.js';
import { certificatePem } from '../infrastructure/keys/pem.js';
import { opensslDataGroupHashes, runOpenssl, withFiles } from '../test-support/openssl.js';
import { portrait } from '../test-support/portraits.js';
import { buildChip, decodeChipFiles, encodeChipFiles, type BuiltChip } from './chip-builder.js';
import { DAO } from '../test-support/register-data.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('personalisation: the chip’s files', () => {
  let dir: string;
  let keys: FileKeyStore;
  let csca: Uint8Array;
  let chip: BuiltChip;
  const face = portrait('chip-builder');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-chip-'));
    keys = await FileKeyStore.open({
      dir,
      developmentPki: true,
      signingPeriodMs: 86_400_000,
      verificationPeriodMs: 86_400_000 * 365,
    });
    csca = (await keys.cscaCertificates())[0]!;
    const now = new Date('2026-11-26T03:00:00Z');
    chip = await buildChip(
      cardContents(DAO, CalendarDate.fromInstant(now)),
      face,
      await keys.current(new Date()),
      'female',
      now,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('passes passive authentication against the CSCA: chain, signature, every data-group hash', () => {
    const { files } = chip;
    const result = passiveAuthentication({
      sod: files.efSod,
      dataGroups: dataGroupsOf(files),
      trustedCscas: [csca],
    });
    assert.equal(result.valid, true, JSON.stringify(result.failures));
    assert.deepEqual(
      result.dataGroups.map((d) => [d.dataGroup, d.status]),
      [
        [1, 'match'],
        [2, 'match'],
        [13, 'match'],
      ],
    );
    assert.equal(result.signingTime?.toISOString(), '2026-11-26T03:00:00.000Z');
  });

  it('holds the MRZ, the portrait and the Vietnamese fields, listed in EF.COM', () => {
    const { files } = chip;
    assert.deepEqual(parseEfCom(files.efCom).dataGroups, [1, 2, 13]);
    const mrz = readVietnamTd1(parseDg1(files.dg1));
    assert.equal(mrz.valid, true);
    assert.equal(mrz.personalIdNumber, '001190123456');
    assert.equal(mrz.fields.dateOfExpiry, '300517', 'valid until the 40th birthday');
    const [faceRecord] = parseDg2(files.dg2);
    assert.deepEqual(Buffer.from(faceRecord!.images[0]!.image), Buffer.from(face));
    assert.equal(faceRecord!.images[0]!.width, 120);
    assert.equal(faceRecord!.images[0]!.gender, 'female');
    const dg13 = readVietnamDg13(parseDg13(files.dg13));
    assert.equal(dg13.fullName, 'Nguyễn Thị Ánh Đào');
    assert.equal(dg13.expiryDate, '17/05/2030');
  });

  it('records each data group’s hash, the security object’s and the read-back hash of the whole chip', () => {
    const { files, personalisation } = chip;
    assert.deepEqual(personalisation.dataGroups, [
      { dataGroup: 1, sha256: sha256(files.dg1) },
      { dataGroup: 2, sha256: sha256(files.dg2) },
      { dataGroup: 13, sha256: sha256(files.dg13) },
    ]);
    assert.equal(personalisation.sodSha256, sha256(files.efSod));
    const concatenated = Buffer.concat(CHIP_FILE_ORDER.map((name) => files[name]));
    assert.equal(personalisation.chipImageSha256, sha256(concatenated));
    assert.equal(chipImageSha256(decodeChipFiles(encodeChipFiles(files))), personalisation.chipImageSha256);
    const signed = parseSod(files.efSod).ldsSecurityObject.dataGroupHashes.map((h) => [
      h.dataGroup,
      Buffer.from(h.hash).toString('hex'),
    ]);
    assert.deepEqual(
      signed,
      personalisation.dataGroups.map((d) => [d.dataGroup, d.sha256]),
    );
  });

  it('is accepted by openssl cms -verify with the CSCA, and openssl’s digest of each data group is the signed hash', () => {
    const { files } = chip;
    using scratch = withFiles({
      'sod.der': unwrapSod(files.efSod),
      'csca.pem': certificatePem(csca),
      'dg1.bin': files.dg1,
      'dg2.bin': files.dg2,
      'dg13.bin': files.dg13,
    });
    const verified = runOpenssl(scratch.path, [
      ...['cms', '-verify', '-inform', 'DER', '-in', 'sod.der', '-CAfile', 'csca.pem'],
      ...['-purpose', 'any', '-binary', '-out', 'lds.der'],
    ]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /Verification successful/);
    const hashes = opensslDataGroupHashes(
      runOpenssl(scratch.path, ['asn1parse', '-inform', 'DER', '-in', 'lds.der']).stdout,
    );
    assert.deepEqual([...hashes.keys()], [1, 2, 13]);
    for (const [dataGroup, hash] of hashes) {
      const digest = runOpenssl(scratch.path, ['dgst', '-sha256', '-r', `dg${dataGroup}.bin`]).stdout.split(
        ' ',
      )[0];
      assert.equal(digest, hash, `DG${dataGroup}`);
    }
  });

  it('is refused by openssl against another CSCA', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-other-'));
    try {
      const other = await FileKeyStore.open({
        dir: otherDir,
        developmentPki: true,
        signingPeriodMs: 86_400_000,
        verificationPeriodMs: 86_400_000,
      });
      using scratch = withFiles({
        'sod.der': unwrapSod(chip.files.efSod),
        'csca.pem': certificatePem((await other.cscaCertificates())[0]!),
      });
      const verified = runOpenssl(scratch.path, [
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        'sod.der',
        '-CAfile',
        'csca.pem',
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ]);
      assert.notEqual(verified.status, 0);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
