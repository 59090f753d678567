/** The `cancuoc` commands and the CLI's credentials (libs/operations' `cliCredentials`). */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, TokenVerifier, developmentIssuerFile } from '@cancuoc/auth';
import { COMMANDS } from './commands/index.js';
import { runCli } from './registry.js';

async function cancuoc(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    argv,
    { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env },
    COMMANDS,
  );
  return { code, stdout, stderr };
}

describe('the cancuoc CLI and its credentials', () => {
  let folder: string;
  let issuer: DevelopmentIssuer;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-cli-credentials-'));
    issuer = await DevelopmentIssuer.open(developmentIssuerFile(folder));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('lists token and login beside the other commands', async () => {
    const help = await cancuoc(['--help'], {});
    assert.equal(help.code, 0);
    for (const name of ['start', 'demo', 'token', 'login', 'stuck'])
      assert.match(help.stdout, new RegExp(`^  ${name}\\s`, 'm'));
    assert.doesNotMatch(help.stdout, /AUTH_SECRET|secret-file/);
    assert.match(help.stdout, /development\s+issuer in \.data\/issuer\.json/);
  });

  it('runs cancuoc token through the platform CLI: a token of the data folder’s issuer, exit 2 for bad usage', async () => {
    const minted = await cancuoc(
      ['token', '--role', 'supervisor', '--audience', 'enrollment', '--data-dir', folder],
      {},
    );
    assert.equal(minted.code, 0, minted.stderr);
    const verifier = new TokenVerifier({
      issuer: issuer.issuer,
      audience: 'enrollment',
      keys: issuer.keys(),
    });
    assert.deepEqual((await verifier.verify(minted.stdout.trim())).roles, ['supervisor']);
    const bad = await cancuoc(
      ['token', '--role', 'clerk', '--audience', 'registry', '--data-dir', folder],
      {},
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^cancuoc token: a clerk needs --unit/);
    const refused = await cancuoc(['token', '--role', 'admin', '--audience', 'registry'], {
      DATABASE_URL: 'postgres://db/registry',
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^cancuoc token: refused: DATABASE_URL set/);
  });

  it('refuses the demo, and several stations, with one caller’s credentials', async () => {
    const env = { CANCUOC_TOKEN: 'a-ready-token' };
    const demo = await cancuoc(['demo', '--citizens', '1'], env);
    assert.equal(demo.code, 1);
    assert.match(demo.stderr, /^cancuoc demo: the demo acts as a clerk, .* CANCUOC_TOKEN is one caller/);
    assert.equal(demo.stderr.trim().split('\n').length, 1);
    const stations = await cancuoc(['station', '--stations', '2'], env);
    assert.equal(stations.code, 2);
    assert.match(stations.stderr, /each station has its own credential/);
  });

  it('says where no issuer was found, in one line, exit 1', async () => {
    const empty = join(folder, 'empty');
    const run = await cancuoc(['seed', '--citizens', '1', '--data-dir', empty], {});
    assert.equal(run.code, 1);
    assert.ok(
      run.stderr.startsWith(`cancuoc seed: no development issuer at ${join(empty, 'issuer.json')}: `),
      run.stderr,
    );
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /is the embedded platform started there \(npm start\)\?/);
  });
});
