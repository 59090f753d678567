import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TokenVerifier, identities, issuerKeys } from '@cancuoc/auth';
import { startOidcProvider, type OidcProvider } from '@cancuoc/testing';
import type { CliIO } from './command.js';
import { cliCredentials } from './credentials.js';
import { loginCommand } from './login.js';
import { captureRun } from './capture.js';

const ADMIN = { accountId: 'admin:lan', claims: { kind: 'person', roles: ['admin'] } } as const;

/** Runs `cancuoc login`; `onCode` plays the person in the browser once the code is shown. */
async function login(env: NodeJS.ProcessEnv, onCode: (code: string) => Promise<void>) {
  let stdout = '';
  let stderr = '';
  let approval: Promise<void> | undefined;
  const io: CliIO = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => {
      stderr += text;
      const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(text)?.[1];
      if (code) approval = onCode(code);
    },
    env,
  };
  const code = await loginCommand.run([], io);
  await approval;
  return { code, stdout, stderr };
}

describe('cancuoc login: a person’s session at the OpenID provider (device flow)', () => {
  let provider: OidcProvider;
  let folder: string;

  before(async () => {
    provider = await startOidcProvider({ accounts: [ADMIN] });
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-login-'));
  });
  after(async () => {
    await provider?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('signs in, keeps the session readable by the user only, and later commands get a token per service', async () => {
    const file = join(folder, 'config', 'session.json');
    const env = { CANCUOC_OIDC_ISSUER: provider.issuer, CANCUOC_SESSION_FILE: file };
    const run = await login(env, (code) => provider.approveDevice(code, ADMIN.accountId));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`open ${provider.issuer}/device in a browser`));
    assert.match(run.stderr, /Signed in as admin:lan/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(folder, 'config'))).mode & 0o777, 0o700);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(saved).sort(), ['clientId', 'issuer', 'refreshToken', 'savedAt', 'subject']);
    assert.equal(saved.clientId, 'cancuoc-cli');

    // Whoever a command asks to act as, the session is the signed-in person.
    const credentials = cliCredentials({}, env);
    const caller = credentials.as(identities.administrator('someone-else'));
    for (const audience of ['registry', 'data-sharing']) {
      const verifier = new TokenVerifier({
        issuer: provider.issuer,
        audience,
        keys: issuerKeys(provider.issuer),
      });
      const principal = await verifier.verify(await caller.tokens.token(audience));
      assert.deepEqual(
        [principal.subject, principal.kind, principal.roles],
        ['admin:lan', 'person', ['admin']],
      );
    }
    // The provider rotated the refresh token: the newest is saved, and a new process can use it.
    const rotated = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    assert.notEqual(rotated.refreshToken, saved.refreshToken);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const later = cliCredentials({}, env).as(identities.administrator('x'));
    assert.ok(await later.tokens.token('enrollment'));

    const status = await captureRun(loginCommand, ['--status'], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^Signed in as admin:lan at http:\/\/127\.0\.0\.1:\d+ since /);
    const logout = await captureRun(loginCommand, ['--logout'], env);
    assert.equal(logout.code, 0);
    const none = await captureRun(loginCommand, ['--status'], env);
    assert.equal(none.code, 1);
    await assert.rejects(
      cliCredentials({}, env).as(identities.administrator('x')).tokens.token('registry'),
      /run cancuoc login/,
    );
  });

  it('exits 1 when the person refuses, and when there is no provider to sign in to', async () => {
    const file = join(folder, 'refused.json');
    const refused = await login(
      { CANCUOC_OIDC_ISSUER: provider.issuer, CANCUOC_SESSION_FILE: file },
      (code) => provider.denyDevice(code),
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cancuoc login: the sign-in with code .* was refused/);
    await assert.rejects(stat(file), /ENOENT/);

    const embedded = await captureRun(loginCommand, [], { CANCUOC_SESSION_FILE: file });
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /cancuoc login is for server mode: set CANCUOC_OIDC_ISSUER/);
    const bad = await captureRun(loginCommand, ['--status', '--logout'], {});
    assert.equal(bad.code, 2);
  });
});
