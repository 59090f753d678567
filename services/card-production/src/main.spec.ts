/**
 * Card production's executable as a deployment runs it: `main.js migrate` as the migration job (it
 * needs no keys and no credentials), and clear refusals when the configuration cannot serve — the
 * old shared token secret, server mode without an OpenID provider or without mutual TLS.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { DevelopmentCa } from '@cancuoc/grpc';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { assertServable, ConfigError, configFromEnv } from './config.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
/** Server mode's credentials and mutual TLS, named (the files are not read before the checks tested). */
const OLD_SECRET = 'an-old-shared-secret-0123456789-0123456789';

const SERVER = {
  CANCUOC_OIDC_ISSUER: 'https://issuer.invalid',
  CANCUOC_CLIENT_KEY_FILE: '/nonexistent/card-production.key',
  CANCUOC_TLS_CERT_FILE: '/nonexistent/tls.crt',
  CANCUOC_TLS_KEY_FILE: '/nonexistent/tls.key',
  CANCUOC_TLS_CA_FILE: '/nonexistent/ca.crt',
};

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
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

describe('card production executable', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('card_production_main');
  });
  after(() => db.drop());

  it('`migrate` applies the migrations once with nothing but the database, and exits; a second run applies none', async () => {
    const env = { DATABASE_URL: db.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout.trim()) as { applied: string[] }).applied;
    assert.ok(applied.includes('0100-card-production'), applied.join(','));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name IN ('cp_jobs', 'cp_vault', 'audit_entries')`,
      );
      assert.equal(rows[0]!.n, '3');
    } finally {
      await client.end();
    }
    const second = await run(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout.trim()) as { applied: string[] }).applied, []);
  });

  it('refuses to serve against a server without the vault key or the key directory, naming the variable', async () => {
    const noDataKey = await run([], {
      DATABASE_URL: db.url,
      ...SERVER,
      CARD_PRODUCTION_KEY_DIR: '/nonexistent',
    });
    assert.equal(noDataKey.code, 1);
    assert.match(noDataKey.stderr, /CARD_PRODUCTION_DATA_KEY is required/);
    const dataKey = Buffer.alloc(32, 7).toString('base64');
    const noKeyDir = await run([], {
      DATABASE_URL: db.url,
      ...SERVER,
      CARD_PRODUCTION_DATA_KEY: dataKey,
    });
    assert.equal(noKeyDir.code, 1);
    assert.match(noKeyDir.stderr, /CARD_PRODUCTION_KEY_DIR is required/);
    const badKey = await run([], {
      DATABASE_URL: db.url,
      ...SERVER,
      CARD_PRODUCTION_DATA_KEY: 'c2hvcnQ=',
    });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /CARD_PRODUCTION_DATA_KEY must be 32 bytes/);
  });

  it('refuses the old shared secret, naming it', async () => {
    const result = await run([], { DATABASE_URL: db.url, ...SERVER, CANCUOC_AUTH_SECRET: OLD_SECRET });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CANCUOC_AUTH_SECRET is no longer used/);
  });

  it('refuses server mode without an OpenID provider, its own key or mutual TLS, and plaintext off loopback', () => {
    const url = 'postgres://127.0.0.1:5432/none';
    const server = { DATABASE_URL: url, ...SERVER };
    const refusals: [Record<string, string>, RegExp][] = [
      [{ ...server, CANCUOC_AUTH_SECRET: OLD_SECRET }, /CANCUOC_AUTH_SECRET is no longer used/],
      [
        { DATA_DIR: '/tmp/cancuoc-nowhere/card-production', CANCUOC_AUTH_SECRET: OLD_SECRET },
        /CANCUOC_AUTH_SECRET is no longer used/,
      ],
      [{ DATABASE_URL: url }, /CANCUOC_OIDC_ISSUER is required with DATABASE_URL/],
      [{ ...server, CANCUOC_CLIENT_KEY_FILE: '' }, /CANCUOC_CLIENT_KEY_FILE is required/],
      [{ ...server, CANCUOC_OIDC_ISSUER: 'issuer.example' }, /CANCUOC_OIDC_ISSUER must be an http\(s\) URL/],
      [
        { ...server, CANCUOC_TLS_CERT_FILE: '', CANCUOC_TLS_KEY_FILE: '', CANCUOC_TLS_CA_FILE: '' },
        /server mode needs mutual TLS/,
      ],
      [
        { ...server, CANCUOC_TLS_CA_FILE: '' },
        /CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE go together/,
      ],
    ];
    for (const [env, message] of refusals) {
      assert.throws(
        () => configFromEnv(env),
        (e) => e instanceof ConfigError && message.test(e.message),
        JSON.stringify(env),
      );
    }
    // Embedded: the development issuer in the data folder, plaintext on loopback by default.
    const embedded = configFromEnv({ DATA_DIR: '/tmp/cancuoc-nowhere/card-production' });
    assert.deepEqual(embedded.auth, { mode: 'embedded', issuerFile: '/tmp/cancuoc-nowhere/issuer.json' });
    assert.equal(embedded.tls, undefined);
    assert.equal(embedded.grpcHost, '127.0.0.1');
    assert.throws(
      () =>
        assertServable(
          configFromEnv({
            DATA_DIR: '/tmp/cancuoc-nowhere/card-production',
            CARD_PRODUCTION_GRPC_HOST: '0.0.0.0',
          }),
          false,
        ),
      (e) =>
        e instanceof ConfigError &&
        /plaintext gRPC is only for the embedded platform on loopback/.test(e.message),
    );
    const served = configFromEnv(server);
    assert.deepEqual(served.auth, {
      mode: 'server',
      issuer: 'https://issuer.invalid',
      clientId: 'service:card-production',
      clientKeyFile: '/nonexistent/card-production.key',
    });
    assert.equal(served.grpcHost, '0.0.0.0');
  });

  it('refuses to serve with certificate files or a client key it cannot read, naming them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-main-'));
    try {
      const serving = {
        DATABASE_URL: db.url,
        ...SERVER,
        CARD_PRODUCTION_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
        CARD_PRODUCTION_KEY_DIR: join(dir, 'keys'),
        CARD_PRODUCTION_DEVELOPMENT_PKI: 'true',
        CARD_PRODUCTION_GRPC_PORT: '0',
      };
      const noCertificate = await run([], serving);
      assert.equal(noCertificate.code, 1);
      assert.match(noCertificate.stderr, /cannot read the certificate \/nonexistent\/tls\.crt/);

      const tls = await (
        await DevelopmentCa.inMemory()
      ).writeIdentity(join(dir, 'tls'), 'service:card-production');
      const noClientKey = await run([], {
        ...serving,
        CANCUOC_TLS_CERT_FILE: tls.certFile,
        CANCUOC_TLS_KEY_FILE: tls.keyFile,
        CANCUOC_TLS_CA_FILE: tls.caFile,
      });
      assert.equal(noClientKey.code, 1);
      assert.match(
        noClientKey.stderr,
        /CANCUOC_CLIENT_KEY_FILE \/nonexistent\/card-production.key is not a readable/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
