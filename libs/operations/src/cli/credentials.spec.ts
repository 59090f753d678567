import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, TokenVerifier, developmentIssuerFile, identities } from '@cancuoc/auth';
import { CliError, EXIT } from './command.js';
import { cliCredentials } from './credentials.js';

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
});
