/**
 * Enrollment's executable as a deployment runs it: `main.js migrate` as the migration job before a
 * rollout, a clear refusal when the configuration cannot work — server mode takes its callers'
 * tokens from an OpenID provider and serves mutual TLS only, there is no shared secret — and the
 * embedded default, on loopback with the platform folder's development issuer (started in
 * embedded.spec.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { ConfigError, configFromEnv } from './config.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

async function run(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The `problem` of the `configuration refused` line, or the whole stderr when there is none. */
function refusal(stderr: string): string {
  for (const line of stderr.split('\n')) {
    try {
      const entry = JSON.parse(line) as { msg?: string; problem?: string };
      if (entry.msg === 'enrollment configuration refused') return entry.problem ?? '';
    } catch {
      // not a log line
    }
  }
  return stderr;
}

describe('enrollment executable', () => {
  let db: TestDatabase;
  let folder: string;
  before(async () => {
    db = await createTestDatabase('enrollment_main');
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-enrollment-main-'));
  });
  after(async () => {
    await db?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('`migrate` applies the migrations once and exits, needing only the database; a second run applies none', async () => {
    const env = { DATABASE_URL: db.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout.trim()) as { applied: string[] }).applied;
    for (const name of ['0200-enrollment', '0001-event-store'])
      assert.ok(applied.includes(name), applied.join(','));
    const second = await run(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout.trim()) as { applied: string[] }).applied, []);
  });

  it('refuses to serve a database without an OpenID provider, its own client key, mutual TLS and a master key, saying which', async () => {
    const masterKey = randomBytes(32).toString('hex');
    const tlsFiles = {
      CANCUOC_TLS_CERT_FILE: join(folder, 'tls.crt'),
      CANCUOC_TLS_KEY_FILE: join(folder, 'tls.key'),
      CANCUOC_TLS_CA_FILE: join(folder, 'ca.crt'),
    };
    const provider = {
      CANCUOC_OIDC_ISSUER: 'https://login.cancuoc.example',
      CANCUOC_CLIENT_KEY_FILE: join(folder, 'client.key'),
    };
    const refusals: [string, Record<string, string>, RegExp][] = [
      [
        'the old shared secret',
        {
          CANCUOC_AUTH_SECRET: 'enrollment-main-test-secret-0123456789-01',
          ...provider,
          ...tlsFiles,
          ENROLLMENT_MASTER_KEYS: masterKey,
        },
        /CANCUOC_AUTH_SECRET is no longer used/,
      ],
      ['no provider', { ENROLLMENT_MASTER_KEYS: masterKey, ...tlsFiles }, /CANCUOC_OIDC_ISSUER is required/],
      [
        'a provider that is no URL',
        { ...provider, CANCUOC_OIDC_ISSUER: 'login.cancuoc.example', ...tlsFiles },
        /CANCUOC_OIDC_ISSUER must be an http\(s\) URL/,
      ],
      [
        'no client key',
        { CANCUOC_OIDC_ISSUER: provider.CANCUOC_OIDC_ISSUER, ...tlsFiles, ENROLLMENT_MASTER_KEYS: masterKey },
        /CANCUOC_CLIENT_KEY_FILE is required/,
      ],
      ['no TLS', { ...provider, ENROLLMENT_MASTER_KEYS: masterKey }, /server mode needs mutual TLS/],
      [
        'part of TLS',
        {
          ...provider,
          CANCUOC_TLS_CERT_FILE: tlsFiles.CANCUOC_TLS_CERT_FILE,
          ENROLLMENT_MASTER_KEYS: masterKey,
        },
        /go together/,
      ],
      ['no master key', { ...provider, ...tlsFiles }, /ENROLLMENT_MASTER_KEYS is required/],
      [
        'a short master key',
        { ...provider, ...tlsFiles, ENROLLMENT_MASTER_KEYS: 'c2hvcnQ=' },
        /keys of 32 bytes/,
      ],
    ];
    for (const [what, env, expected] of refusals) {
      assert.throws(
        () => configFromEnv({ DATABASE_URL: db.url, ...env }),
        (e) => e instanceof ConfigError && expected.test(e.message),
        what,
      );
    }
    // The executable says it in one line and exits 1.
    const result = await run([], { DATABASE_URL: db.url, ENROLLMENT_MASTER_KEYS: masterKey, ...tlsFiles });
    assert.equal(result.code, 1);
    assert.match(refusal(result.stderr), /CANCUOC_OIDC_ISSUER is required/);
    // All of them given, server mode serves mutual TLS on every interface by default.
    const config = configFromEnv({
      DATABASE_URL: db.url,
      ...provider,
      ...tlsFiles,
      ENROLLMENT_MASTER_KEYS: masterKey,
    });
    assert.deepEqual(config.auth, {
      mode: 'server',
      issuer: provider.CANCUOC_OIDC_ISSUER,
      clientId: 'service:enrollment',
      clientKeyFile: provider.CANCUOC_CLIENT_KEY_FILE,
    });
    assert.deepEqual(config.tls, {
      certFile: tlsFiles.CANCUOC_TLS_CERT_FILE,
      keyFile: tlsFiles.CANCUOC_TLS_KEY_FILE,
      caFile: tlsFiles.CANCUOC_TLS_CA_FILE,
    });
    assert.equal(config.grpcHost, '0.0.0.0');
  });

  it('refuses a client key file that holds no key when it starts, naming the variable', async () => {
    const keyFile = join(folder, 'not-a-key.pem');
    await writeFile(keyFile, 'not a key\n', { mode: 0o600 });
    const result = await run([], {
      DATABASE_URL: db.url,
      CANCUOC_OIDC_ISSUER: 'https://login.cancuoc.example',
      CANCUOC_CLIENT_KEY_FILE: keyFile,
      CANCUOC_TLS_CERT_FILE: join(folder, 'tls.crt'),
      CANCUOC_TLS_KEY_FILE: join(folder, 'tls.key'),
      CANCUOC_TLS_CA_FILE: join(folder, 'ca.crt'),
      ENROLLMENT_MASTER_KEYS: randomBytes(32).toString('hex'),
    });
    assert.equal(result.code, 1);
    assert.match(refusal(result.stderr), /CANCUOC_CLIENT_KEY_FILE .* is not a readable ES256 private key/);
  });

  it('embedded, takes the platform folder’s development issuer and serves plaintext on loopback only', () => {
    const dataDir = join(folder, 'platform', 'enrollment');
    const config = configFromEnv({ DATA_DIR: dataDir });
    assert.deepEqual(config.auth, { mode: 'embedded', issuerFile: join(folder, 'platform', 'issuer.json') });
    assert.equal(config.tls, undefined);
    assert.equal(config.grpcHost, '127.0.0.1');
    assert.throws(
      () => configFromEnv({ DATA_DIR: dataDir, ENROLLMENT_GRPC_HOST: '0.0.0.0' }),
      (e) =>
        e instanceof ConfigError &&
        /plaintext gRPC is only for the embedded platform on loopback/.test(e.message),
    );
  });
});
