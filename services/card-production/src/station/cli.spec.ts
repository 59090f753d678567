/** The station simulator's command line: help, usage errors, refusals, and exit codes. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signToken } from '@cancuoc/grpc';
import { startFixture, stationToken, type Fixture } from '../test-support/fixture.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '' },
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
      [['--csca', 'x.pem'], /give --token, or --secret with --station-id/],
      [['--colour', 'red'], /Unknown option/],
    ] as const) {
      const result = await run([...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it('exits 3 when the trust anchor is missing or the service refuses the station', async () => {
    const noCsca = await run(['--csca', '/nonexistent/csca.pem', '--token', stationToken('x')]);
    assert.equal(noCsca.code, 3, noCsca.stderr);
    const csca = join(f.config.keyDir!, 'csca.cert.pem');
    const wrongKey = signToken('another-secret-0123456789-0123456789-xx', {
      sub: 'station:x',
      aud: 'card-production',
      roles: ['encoding-station'],
    });
    const refused = await run(['--address', f.running.grpc.address, '--csca', csca, '--token', wrongKey]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /refused the station \(UNAUTHENTICATED\)/);
    const notAStation = await run([
      '--address',
      f.running.grpc.address,
      '--csca',
      csca,
      '--token',
      stationToken('x', ['admin']),
    ]);
    assert.equal(notAStation.code, 3);
    assert.match(notAStation.stderr, /PERMISSION_DENIED/);
  });
});
