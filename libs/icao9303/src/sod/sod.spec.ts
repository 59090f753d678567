import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Oid } from '../asn1/oids.js';
import { buildDg1 } from '../lds/dg1.js';
import { LdsError } from '../lds/errors.js';
import type { KeyAndCertificate } from '../pki/development-pki.js';
import { softwareSigner, type Signer } from '../pki/signer.js';
import { cardDataGroups } from '../test-support/card-files.js';
import { testCsca, testDocumentSigner } from '../test-support/pki.js';
import { decodeTlv } from '../tlv/tlv.js';
import { decodeLdsSecurityObject, encodeLdsSecurityObject } from './lds-security-object.js';
import { buildSod, indexDataGroups, parseSod } from './sod-file.js';

describe('EF.SOD', () => {
  let ds: KeyAndCertificate;
  let signer: Signer;
  before(async () => {
    ds = await testDocumentSigner(await testCsca());
    signer = softwareSigner({ certificate: ds.certificate, privateKey: ds.privateKey });
  });

  it('signs SHA-256 hashes of the whole data group files with the mandatory signed attributes', async () => {
    const files = cardDataGroups();
    const signingTime = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const file = await buildSod({ dataGroups: files, signer, signingTime });
    assert.equal(decodeTlv(file).tag, 0x77);

    const { signedData, ldsSecurityObject } = parseSod(file);
    assert.equal(signedData.contentType, Oid.ldsSecurityObject);
    assert.equal(ldsSecurityObject.digestAlgorithm, 'sha256');
    assert.deepEqual(
      ldsSecurityObject.dataGroupHashes.map((h) => [h.dataGroup, Buffer.from(h.hash).toString('hex')]),
      [...files].map(([n, f]) => [n, createHash('sha256').update(f).digest('hex')]),
    );
    assert.deepEqual(signedData.certificates, [ds.certificate]);
    const { signerInfo } = signedData;
    assert.equal(signerInfo.signatureAlgorithm, Oid.ecdsaWithSha256);
    assert.equal(signerInfo.digestAlgorithm, Oid.sha256);
    assert.equal(signerInfo.signerIdentifier.kind, 'issuer-and-serial-number');
    assert.equal(signerInfo.signedAttributes?.contentType, Oid.ldsSecurityObject);
    assert.deepEqual(signerInfo.signedAttributes?.signingTime, signingTime);
    assert.deepEqual(
      signerInfo.signedAttributes?.messageDigest,
      new Uint8Array(createHash('sha256').update(signedData.content).digest()),
    );
  });

  it('writes SignedData version 3 around the encapsulated security object', async () => {
    const file = await buildSod({ dataGroups: cardDataGroups(), signer });
    const signedData = decodeTlv(file).children[0]!.children[1]!.children[0]!;
    assert.deepEqual(signedData.children[0]!.value, Uint8Array.of(3));
    assert.deepEqual(
      signedData.children.map((c) => c.tag),
      [0x02, 0x31, 0x30, 0xa0, 0x31],
    );
  });

  it('hashes with SHA-384 and records LDS 1.8 version info when asked', async () => {
    const file = await buildSod({
      dataGroups: cardDataGroups(),
      signer,
      digestAlgorithm: 'sha384',
      ldsVersionInfo: { ldsVersion: '0108', unicodeVersion: '040000' },
    });
    const { ldsSecurityObject } = parseSod(file);
    assert.equal(ldsSecurityObject.digestAlgorithm, 'sha384');
    assert.equal(ldsSecurityObject.dataGroupHashes[0]!.hash.length, 48);
    assert.deepEqual(ldsSecurityObject.ldsVersionInfo, { ldsVersion: '0108', unicodeVersion: '040000' });
  });

  it('refuses a data group file filed under another number, and an empty set', async () => {
    const files = cardDataGroups();
    await assert.rejects(
      buildSod({ dataGroups: new Map([[2, files.get(1)!]]), signer }),
      /expected tag 0x75/,
    );
    await assert.rejects(buildSod({ dataGroups: new Map(), signer }), LdsError);
  });

  it('indexes data group files by their own tags', () => {
    const files = cardDataGroups();
    const index = indexDataGroups([...files.values()].reverse());
    assert.deepEqual(
      [...index.keys()].sort((a, b) => a - b),
      [1, 2, 13],
    );
    assert.throws(
      () => indexDataGroups([files.get(1)!, buildDg1(['A'.repeat(30), 'B'.repeat(30), 'C'.repeat(30)])]),
      /twice/,
    );
  });

  it('round-trips the LDS security object and refuses a version that contradicts its fields', () => {
    const object = {
      digestAlgorithm: 'sha256' as const,
      dataGroupHashes: [{ dataGroup: 1, hash: new Uint8Array(32) }],
    };
    assert.deepEqual(decodeLdsSecurityObject(encodeLdsSecurityObject(object)), object);
    const encoded = encodeLdsSecurityObject(object);
    const v1WithoutInfo = encoded.slice();
    v1WithoutInfo[4] = 1; // the version INTEGER's value byte
    assert.throws(
      () => decodeLdsSecurityObject(v1WithoutInfo),
      /does not match the presence of ldsVersionInfo/,
    );
  });
});
