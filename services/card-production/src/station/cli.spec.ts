/** The station simulator's command line: help, usage errors, its credential, refusals, and exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DevelopmentIssuer, identities } from '@cancuoc/auth';
import { startFixture, tokenOf, type Fixture } from '../test-support/fixture.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cancuoc-station-simulator', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(() => f?.close());

  it('explains itself with --help', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage:/);
    assert.match(help.stdout, /Exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused/);
  });

  it('exits 2 on bad arguments, saying what is wrong', async () => {
    for (const [args, message] of [
      [[], /--csca is required/],
      [['--csca', 'x.pem', '--capacity', '99', '--token', 't'], /--capacity must be an integer from 0 to 64/],
      [['--csca', 'x.pem'], /give --station-id \(the station’s own credential\), or --token/],
      [['--csca', 'x.pem', '--station-id', 'st 1'], /--station-id: 1-60 of/],
      [['--csca', 'x.pem', '--token', 't', '--stations', '2'], /a token names one station/],
      [['--csca', 'x.pem', '--secret', 's', '--station-id', 'x'], /Unknown option '--secret'/],
      [['--colour', 'red'], /Unknown option/],
    ] as const) {
      const result = await run([...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it('exits 3 when the station has no credential: no development issuer, the old shared secret, an unreadable key', async () => {
    const csca = join(f.config.keyDir!, 'csca.cert.pem');
    const noIssuer = await run(['--csca', csca, '--station-id', 'x', '--data-dir', '/nonexistent/platform']);
    assert.equal(noIssuer.code, 3, noIssuer.stderr);
    assert.match(noIssuer.stderr, /no development issuer at \/nonexistent\/platform\/issuer\.json/);
    const oldSecret = await run(['--csca', csca, '--station-id', 'x'], {
      CANCUOC_AUTH_SECRET: 'an-old-shared-secret-0123456789-0123456789',
    });
    assert.equal(oldSecret.code, 3, oldSecret.stderr);
    assert.match(oldSecret.stderr, /CANCUOC_AUTH_SECRET is no longer used/);
    const noKey = await run(['--csca', csca, '--station-id', 'x'], {
      CANCUOC_OIDC_ISSUER: 'https://issuer.invalid',
      CANCUOC_CLIENT_KEY_FILE: '/nonexistent/station.key',
    });
    assert.equal(noKey.code, 3, noKey.stderr);
    assert.match(noKey.stderr, /CANCUOC_CLIENT_KEY_FILE \/nonexistent\/station\.key is not a readable/);
    const serverStations = await run(['--csca', csca, '--station-id', 'x', '--stations', '2'], {
      CANCUOC_OIDC_ISSUER: 'https://issuer.invalid',
    });
    assert.equal(serverStations.code, 2, serverStations.stderr);
    assert.match(serverStations.stderr, /each station has its own client key/);
    const halfTls = await run(['--csca', csca, '--token', 't'], { CANCUOC_TLS_CERT_FILE: '/x/tls.crt' });
    assert.equal(halfTls.code, 2, halfTls.stderr);
    assert.match(halfTls.stderr, /go together/);
  });

  it('exits 3 when the trust anchor is missing or the service refuses the station', async () => {
    const noCsca = await run([
      '--csca',
      '/nonexistent/csca.pem',
      '--token',
      await tokenOf(identities.encodingStation('x')),
    ]);
    assert.equal(noCsca.code, 3, noCsca.stderr);
    const csca = join(f.config.keyDir!, 'csca.cert.pem');
    const foreign = await tokenOf(identities.encodingStation('x'), await DevelopmentIssuer.inMemory());
    const refused = await run(['--address', f.running.grpc.address, '--csca', csca, '--token', foreign]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /refused the station \(UNAUTHENTICATED\)/);
    const notAStation = await run([
      '--address',
      f.running.grpc.address,
      '--csca',
      csca,
      '--token',
      await tokenOf(identities.administrator('x')),
    ]);
    assert.equal(notAStation.code, 3);
    assert.match(notAStation.stderr, /PERMISSION_DENIED/);
  });
});
