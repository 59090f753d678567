import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, TokenVerifier, developmentIssuerFile, identities } from '@cancuoc/auth';
import { CA_KEY_FILE, DevelopmentCa } from '@cancuoc/grpc';
import { CliError, EXIT } from './command.js';
import { cliCredentials, workstationSubject } from './credentials.js';

const certificateOf = async (file: string) => new X509Certificate(await readFile(file));

describe('the credentials every cancuoc command uses', () => {
  let folder: string;
  let issuer: DevelopmentIssuer;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-credentials-'));
    issuer = await DevelopmentIssuer.open(developmentIssuerFile(join(folder, 'platform')));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const verify = (token: string, audience: string) =>
    new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() }).verify(token);

  it('embedded: mints each identity’s tokens from the platform’s development issuer (--data-dir, else CANCUOC_DATA_DIR)', async () => {
    for (const [options, env] of [
      [{ dataDir: join(folder, 'platform') }, { CANCUOC_DATA_DIR: join(folder, 'elsewhere') }],
      [{}, { CANCUOC_DATA_DIR: join(folder, 'platform') }],
    ] as const) {
      const credentials = cliCredentials(options, env);
      assert.equal(credentials.tls, undefined, 'plaintext without CANCUOC_TLS_*');
      const station = credentials.as(identities.encodingStation('hn-01'));
      const principal = await verify(await station.tokens.token('card-production'), 'card-production');
      assert.deepEqual(
        [principal.subject, principal.kind, principal.station],
        ['station:hn-01', 'station', 'hn-01'],
      );
      const admin = await verify(
        await credentials.as(identities.administrator('lan')).tokens.token('registry'),
        'registry',
      );
      assert.deepEqual([admin.subject, admin.roles], ['admin:lan', ['admin']]);
    }
  });

  it('embedded: a folder without an issuer is one line naming the file, and no issuer is made there', () => {
    const empty = join(folder, 'empty');
    assert.throws(
      () => cliCredentials({}, { CANCUOC_DATA_DIR: empty }),
      (error: Error) =>
        error instanceof CliError &&
        error.exitCode === EXIT.failed &&
        error.message.includes(join(empty, 'issuer.json')) &&
        !error.message.includes('\n'),
    );
    assert.equal(existsSync(empty), false);
  });

  it('takes CANCUOC_TOKEN as it is, for whoever the command acts as', async () => {
    const credentials = cliCredentials(
      {},
      { CANCUOC_TOKEN: ' ready.made.token\n', CANCUOC_DATA_DIR: join(folder, 'empty') },
    );
    assert.equal(
      await credentials.as(identities.supervisor('x')).tokens.token('enrollment'),
      'ready.made.token',
    );
    assert.equal(credentials.source, 'CANCUOC_TOKEN');
  });

  it('server mode: no development issuer is used, and without a session the first call says to log in', async () => {
    const credentials = cliCredentials(
      { dataDir: join(folder, 'platform') },
      {
        CANCUOC_OIDC_ISSUER: 'https://login.example.gov.vn',
        CANCUOC_SESSION_FILE: join(folder, 'no-session.json'),
      },
    );
    await assert.rejects(
      credentials.as(identities.administrator('lan')).tokens.token('registry'),
      (error: Error) =>
        error instanceof CliError &&
        /not signed in to https:\/\/login\.example\.gov\.vn: run cancuoc login/.test(error.message),
    );
    assert.throws(
      () => cliCredentials({}, { CANCUOC_OIDC_ISSUER: 'login.example.gov.vn' }),
      (error: Error) => error instanceof CliError && error.exitCode === EXIT.usage,
    );
    assert.throws(
      () =>
        cliCredentials(
          {},
          { CANCUOC_OIDC_ISSUER: 'https://login.example.gov.vn', CANCUOC_CLIENT_KEY_FILE: '/k' },
        ),
      /CANCUOC_CLIENT_ID/,
    );
  });

  it('uses mutual TLS when the three certificate files are named, and refuses only some of them', () => {
    const files = {
      CANCUOC_TLS_CERT_FILE: '/c.pem',
      CANCUOC_TLS_KEY_FILE: '/k.pem',
      CANCUOC_TLS_CA_FILE: '/ca.pem',
    };
    const credentials = cliCredentials({}, { ...files, CANCUOC_TOKEN: 't' });
    assert.deepEqual(credentials.tls, { certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem' });
    assert.deepEqual(credentials.as(identities.administrator('lan')).tls, credentials.tls);
    assert.throws(
      () => cliCredentials({}, { CANCUOC_TLS_CERT_FILE: '/c.pem', CANCUOC_TOKEN: 't' }),
      (error: Error) =>
        error instanceof CliError && error.exitCode === EXIT.usage && /go together/.test(error.message),
    );
  });

  it('embedded on mutual TLS: each station and agency its own certificate from DIR/ca, people this workstation’s', async () => {
    const dataDir = join(folder, 'on-tls');
    await DevelopmentIssuer.open(developmentIssuerFile(dataDir));
    const ca = await DevelopmentCa.open(join(dataDir, 'ca'));
    const credentials = cliCredentials({ dataDir }, {});
    const station = identities.encodingStation('hn-01');
    const agency = identities.agency('bhxh');
    assert.throws(() => credentials.tls, /not made yet/, 'read only once made');
    await credentials.ready!([station, agency]);

    const subjects = new Map<string, string>();
    for (const identity of [station, agency, identities.administrator('lan'), identities.supervisor('an')]) {
      const tls = credentials.as(identity).tls!;
      const certificate = await certificateOf(tls.certFile);
      assert.ok(certificate.verify(new X509Certificate(ca.certificatePem).publicKey));
      assert.equal(await readFile(tls.caFile, 'utf8'), ca.certificatePem);
      subjects.set(identity.subject, certificate.subjectAltName!);
    }
    assert.match(subjects.get('station:hn-01')!, /URI:cancuoc:station:hn-01/);
    assert.match(subjects.get('agency:bhxh')!, /URI:cancuoc:agency:bhxh/);
    const workstation = `URI:cancuoc:${workstationSubject()}`;
    assert.equal(subjects.get('admin:lan'), workstation);
    assert.equal(subjects.get('supervisor:an'), workstation);
    assert.deepEqual(credentials.tls, credentials.as(identities.administrator('lan')).tls);
    assert.equal(
      (await credentials.as(station).tokens.token('card-production')).split('.').length,
      3,
      'tokens as before',
    );

    // Another command uses the certificates again; a new CA (the folder reset) gets new ones.
    const serial = (await certificateOf(credentials.as(station).tls!.certFile)).serialNumber;
    const later = cliCredentials({ dataDir }, {});
    await later.ready!([station]);
    assert.equal((await certificateOf(later.as(station).tls!.certFile)).serialNumber, serial);
    await rm(join(dataDir, 'ca'), { recursive: true });
    const renewed = await DevelopmentCa.open(join(dataDir, 'ca'));
    const afterReset = cliCredentials({ dataDir }, {});
    await afterReset.ready!([station]);
    const reissued = await certificateOf(afterReset.as(station).tls!.certFile);
    assert.notEqual(reissued.serialNumber, serial);
    assert.ok(reissued.verify(new X509Certificate(renewed.certificatePem).publicKey));
  });

  it('embedded on mutual TLS: CANCUOC_TLS_* and server mode take no certificate from the CA; half a CA is one line', async () => {
    const dataDir = join(folder, 'on-tls-too');
    await DevelopmentIssuer.open(developmentIssuerFile(dataDir));
    await DevelopmentCa.open(join(dataDir, 'ca'));
    const files = {
      CANCUOC_TLS_CERT_FILE: '/c.pem',
      CANCUOC_TLS_KEY_FILE: '/k.pem',
      CANCUOC_TLS_CA_FILE: '/ca.pem',
    };
    const named = cliCredentials({ dataDir }, files);
    await named.ready?.([identities.encodingStation('hn-01')]);
    assert.equal(named.as(identities.encodingStation('hn-01')).tls?.certFile, '/c.pem');
    const server = cliCredentials({ dataDir }, { CANCUOC_OIDC_ISSUER: 'https://login.example.gov.vn' });
    await server.ready?.([]);
    assert.equal(server.tls, undefined);
    // A ready token goes over this workstation's certificate (a person's token passes with any).
    const ready = cliCredentials({ dataDir }, { CANCUOC_TOKEN: 't' });
    await ready.ready!([identities.encodingStation('hn-01')]);
    assert.match(
      (await certificateOf(ready.as(identities.encodingStation('hn-01')).tls!.certFile)).subjectAltName!,
      /URI:cancuoc:workstation:/,
    );
    await unlink(join(dataDir, 'ca', CA_KEY_FILE));
    assert.throws(
      () => cliCredentials({ dataDir }, {}),
      (error: Error) => error instanceof CliError && /half a development CA/.test(error.message),
    );
  });
});
