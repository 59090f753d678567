import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeTlv } from '../tlv/tlv.js';
import type { KeyAndCertificate } from '../pki/development-pki.js';
import { softwareSigner } from '../pki/signer.js';
import { cardDataGroups } from '../test-support/card-files.js';
import { certificatePem, openssl, scratchDirectory } from '../test-support/openssl.js';
import { testCsca, testDocumentSigner } from '../test-support/pki.js';
import { encodeLdsSecurityObject } from './lds-security-object.js';
import { passiveAuthentication } from './passive-authentication.js';
import { buildSod, hashDataGroups, unwrapSod } from './sod-file.js';

/** (data group number, hash hex) pairs as `openssl asn1parse` prints the LDS security object. */
function hashesFromAsn1parse(text: string): [number, string][] {
  const pairs: [number, string][] = [];
  let pending: number | undefined;
  for (const line of text.split('\n')) {
    // The DataGroupHash fields sit at depth 3: SEQUENCE > SEQUENCE OF > SEQUENCE > fields.
    const integer = /d=3 .*prim: INTEGER\s+:([0-9A-F]+)/.exec(line);
    const octets = /d=3 .*prim: OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)/.exec(line);
    if (integer) pending = parseInt(integer[1]!, 16);
    if (octets && pending !== undefined) {
      pairs.push([pending, octets[1]!.toLowerCase()]);
      pending = undefined;
    }
  }
  return pairs;
}

describe('EF.SOD against OpenSSL', () => {
  let csca: KeyAndCertificate;
  let ds: KeyAndCertificate;
  let sod: Uint8Array;
  const files = cardDataGroups();
  before(async () => {
    assert.match(openssl('.', 'version').stdout, /^OpenSSL 3\./);
    csca = await testCsca();
    ds = await testDocumentSigner(csca);
    sod = await buildSod({
      dataGroups: files,
      signer: softwareSigner({ certificate: ds.certificate, privateKey: ds.privateKey }),
    });
  });

  it('openssl cms -verify accepts our SignedData against the CSCA and yields hashes openssl dgst agrees with', () => {
    using dir = scratchDirectory({
      'sod.der': unwrapSod(sod),
      'csca.pem': certificatePem(csca.certificate),
      ...Object.fromEntries([...files].map(([n, f]) => [`dg${n}.bin`, f])),
    });
    const verified = openssl(
      dir.path,
      ...['cms', '-verify', '-inform', 'DER', '-in', 'sod.der', '-CAfile', 'csca.pem', '-purpose', 'any'],
      ...['-binary', '-out', 'lds-security-object.der'],
    );
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /Verification successful/);

    const parsed = openssl(dir.path, 'asn1parse', '-inform', 'DER', '-in', 'lds-security-object.der');
    assert.equal(parsed.status, 0, parsed.stderr);
    const signedHashes = hashesFromAsn1parse(parsed.stdout);
    assert.deepEqual(
      signedHashes.map(([n]) => n),
      [1, 2, 13],
    );
    for (const [dataGroup, hash] of signedHashes) {
      const digest = openssl(dir.path, 'dgst', '-sha256', '-r', `dg${dataGroup}.bin`);
      assert.equal(digest.stdout.split(' ')[0], hash, `data group ${dataGroup}`);
    }
  });

  it('openssl cms -verify refuses our SignedData against another CSCA', async () => {
    const other = await testCsca();
    using dir = scratchDirectory({
      'sod.der': unwrapSod(sod),
      'csca.pem': certificatePem(other.certificate),
    });
    const verified = openssl(
      dir.path,
      ...[
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
        'x',
      ],
    );
    assert.notEqual(verified.status, 0);
    assert.match(verified.stderr, /certificate verify error|signature failure/i);
  });

  for (const keyid of [false, true]) {
    it(`passive authentication accepts an EF.SOD that openssl cms -sign made (${keyid ? 'subjectKeyIdentifier' : 'issuerAndSerialNumber'})`, () => {
      const content = encodeLdsSecurityObject({
        digestAlgorithm: 'sha256',
        dataGroupHashes: hashDataGroups(files, 'sha256'),
      });
      using dir = scratchDirectory({
        'lds.der': content,
        'ds.pem': certificatePem(ds.certificate),
        'ds.key': ds.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      });
      const signed = openssl(
        dir.path,
        ...['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', 'lds.der', '-out', 'sod.der'],
        ...['-econtent_type', '2.23.136.1.1.1', '-md', 'sha256', '-signer', 'ds.pem', '-inkey', 'ds.key'],
        ...(keyid ? ['-keyid'] : []),
      );
      assert.equal(signed.status, 0, signed.stderr);
      const sodFile = encodeTlv(0x77, new Uint8Array(readFileSync(join(dir.path, 'sod.der'))));
      const result = passiveAuthentication({
        sod: sodFile,
        dataGroups: files,
        trustedCscas: [csca.certificate],
      });
      assert.deepEqual(result.failures, []);
      assert.equal(result.valid, true);
    });
  }
});
