import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, TokenVerifier, developmentIssuerFile } from '@cancuoc/auth';
import { captureRun } from './capture.js';
import { tokenCommand } from './token.js';

describe('cancuoc token: a token from the development issuer', () => {
  let folder: string;
  let issuer: DevelopmentIssuer;
  let otherKeyFile: string;
  let other: DevelopmentIssuer;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-token-'));
    issuer = await DevelopmentIssuer.open(developmentIssuerFile(join(folder, 'platform')));
    otherKeyFile = join(folder, 'elsewhere', 'issuer-key.json');
    other = await DevelopmentIssuer.open(otherKeyFile);
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const env = () => ({ CANCUOC_DATA_DIR: join(folder, 'platform') });
  const token = (argv: string[], extra: NodeJS.ProcessEnv = {}) =>
    captureRun(tokenCommand, argv, { ...env(), ...extra });
  /** The printed token, verified with the issuer's public keys for `audience`. */
  const verified = async (stdout: string, audience: string, by = issuer) => {
    assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'one JWT and a line feed');
    const verifier = new TokenVerifier({ issuer: by.issuer, audience, keys: by.keys() });
    return verifier.verify(stdout.trim());
  };

  it('prints an administrator’s token that verifies with the issuer’s keys, for that service only', async () => {
    const run = await token(['--role', 'admin', '--audience', 'card-production', '--subject', 'admin:lan']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const principal = await verified(run.stdout, 'card-production');
    assert.equal(principal.subject, 'admin:lan');
    assert.equal(principal.kind, 'person');
    assert.deepEqual(principal.roles, ['admin']);
    await assert.rejects(verified(run.stdout, 'registry'), /CLAIM_AUD/);
    await assert.rejects(verified(run.stdout, 'card-production', other), /UNKNOWN_KEY|BAD_SIGNATURE/);
  });

  it('derives the kind from the role and carries each kind’s claims', async () => {
    const clerk = await token([
      '--role',
      'clerk',
      '--role',
      'national',
      '--unit',
      '79',
      '--audience',
      'registry',
    ]);
    assert.equal(clerk.code, 0, clerk.stderr);
    const p = await verified(clerk.stdout, 'registry');
    assert.equal(p.kind, 'person');
    assert.deepEqual(p.roles, ['clerk', 'national']);
    assert.equal(p.unit, '79');
    assert.match(p.subject, /^clerk:/);

    const station = await token([
      '--role',
      'encoding-station',
      '--station',
      'hn-07',
      '--audience',
      'card-production',
    ]);
    assert.equal(station.code, 0, station.stderr);
    const s = await verified(station.stdout, 'card-production');
    assert.deepEqual(
      [s.kind, s.subject, s.station, s.roles],
      ['station', 'station:hn-07', 'hn-07', ['encoding-station']],
    );

    const agency = await token(['--role', 'agency', '--agency', 'bhxh', '--audience', 'data-sharing']);
    assert.equal(agency.code, 0, agency.stderr);
    const a = await verified(agency.stdout, 'data-sharing');
    assert.deepEqual([a.kind, a.subject, a.agency], ['agency', 'agency:bhxh', 'bhxh']);

    const service = await token([
      '--role',
      'service',
      '--subject',
      'service:enrollment',
      '--audience',
      'registry',
    ]);
    assert.equal(service.code, 0, service.stderr);
    const v = await verified(service.stdout, 'registry');
    assert.deepEqual([v.kind, v.subject, v.service], ['service', 'service:enrollment', 'enrollment']);
  });

  it('lives --ttl seconds', async () => {
    const run = await token(['--role', 'supervisor', '--audience', 'enrollment', '--ttl', '90']);
    assert.equal(run.code, 0, run.stderr);
    const [, body] = run.stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { iat: number; exp: number };
    assert.equal(claims.exp - claims.iat, 90);
  });

  it('refuses in server mode (CANCUOC_OIDC_ISSUER or DATABASE_URL), unless given the issuer’s key file', async () => {
    const argv = ['--role', 'admin', '--audience', 'registry'];
    for (const server of [
      { CANCUOC_OIDC_ISSUER: 'https://login.example.gov.vn' },
      { DATABASE_URL: 'postgres://cancuoc@db/registry' },
    ]) {
      const refused = await token(argv, server);
      assert.equal(refused.code, 1);
      assert.equal(refused.stdout, '');
      assert.match(refused.stderr, /^cancuoc token: refused: .* server mode/);
      assert.equal(refused.stderr.trim().split('\n').length, 1);
    }
    const withKey = await token([...argv, '--issuer-key', otherKeyFile], {
      CANCUOC_OIDC_ISSUER: 'https://login.example.gov.vn',
    });
    assert.equal(withKey.code, 0, withKey.stderr);
    assert.equal((await verified(withKey.stdout, 'registry', other)).subject.startsWith('admin:'), true);
  });

  it('fails with exit 1 when there is no issuer, and never creates one', async () => {
    const empty = join(folder, 'no-platform');
    const run = await captureRun(tokenCommand, ['--role', 'admin', '--audience', 'registry'], {
      CANCUOC_DATA_DIR: empty,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no development issuer at .*no-platform\/issuer\.json/);
    const missingKey = await token([
      '--role',
      'admin',
      '--audience',
      'registry',
      '--issuer-key',
      join(folder, 'nope'),
    ]);
    assert.equal(missingKey.code, 1);
    assert.match(missingKey.stderr, /no issuer key file/);
    assert.equal(existsSync(join(empty, 'issuer.json')), false);
    assert.equal(existsSync(join(folder, 'nope')), false);
  });

  it('refuses a wrong command line with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--audience', 'registry'], /--role ROLE is required/],
      [['--role', 'admin'], /--audience SERVICE is required/],
      [['--role', 'admin', '--audience', 'passport-office'], /unknown service "passport-office"/],
      [['--role', 'king', '--audience', 'registry'], /unknown role "king"/],
      [['--role', 'admin', '--role', 'agency', '--audience', 'registry'], /one kind of caller per token/],
      [['--role', 'clerk', '--audience', 'registry'], /a clerk needs --unit/],
      [['--role', 'clerk', '--unit', '7', '--audience', 'registry'], /--unit: a province/],
      [['--role', 'national', '--unit', '01', '--audience', 'registry'], /give --role clerk too/],
      [['--role', 'operator', '--station', 'x', '--audience', 'enrollment'], /x-station-token/],
      [['--role', 'encoding-station', '--audience', 'card-production'], /a station needs --station ID/],
      [['--role', 'agency', '--audience', 'data-sharing'], /an agency needs --agency CODE/],
      [['--role', 'service', '--audience', 'registry'], /--subject service:<name>/],
      [['--role', 'admin', '--audience', 'registry', '--ttl', '0'], /--ttl/],
      [['--role', 'admin', '--audience', 'registry', '--ttl', '86400'], /--ttl/],
      [['--role', 'admin', '--audience', 'registry', '--colour', 'red'], /colour/],
    ];
    for (const [argv, message] of cases) {
      const run = await token(argv);
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message, argv.join(' '));
    }
    const help = await token(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: cancuoc token --role ROLE --audience SERVICE/);
  });
});
