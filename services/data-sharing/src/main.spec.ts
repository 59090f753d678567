/**
 * Data sharing's executable as a deployment runs it: `main.js migrate` (the migration job),
 * `main.js verify-audit` (a scheduled integrity check; exit 2 when the chain is broken), and a clear
 * refusal when the configuration cannot work: server mode needs the OpenID provider, data sharing's
 * own client key and mutual TLS; the old shared secret is refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';

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

describe('data-sharing executable', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('data_sharing_main');
  });
  after(() => db.drop());

  it('`migrate` applies the migrations once and exits; `verify-audit` checks the chain', async () => {
    // The migration job gets no credentials (conventions).
    const env = { DATABASE_URL: db.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout.trim()) as { applied: string[] }).applied;
    // No KAFKA_BROKERS: the in-process log's table comes too.
    assert.deepEqual(applied.sort(), [
      '0001-event-store',
      '0002-messaging-inbox',
      '0003-in-process-log',
      '0004-audit-log',
      '0005-projection-rebuilds',
      '0200-data-sharing',
      '0201-counter-key',
    ]);
    const second = await run(['migrate'], env);
    assert.deepEqual((JSON.parse(second.stdout.trim()) as { applied: string[] }).applied, []);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO audit_entries (chain, actor, action, purpose, subject_id, fields)
         SELECT 'data-sharing', 'agency:x', 'citizen.read', 'p', 's' || n, '{name}' FROM generate_series(1, 3) n`,
      );
      const unsealed = await run(['verify-audit'], env);
      assert.equal(unsealed.code, 0, unsealed.stderr);
      // Seal by hand as the service would, then break the chain.
      await client.query(`INSERT INTO audit_heads (chain, seq, hash) VALUES ('data-sharing', 1, '\\x00')`);
      const broken = await run(['verify-audit'], env);
      assert.equal(broken.code, 2);
      // A broken chain is an error line: stderr, as every error the executables log.
      assert.match(broken.stderr, /HEAD_MISMATCH/);
    } finally {
      await client.end();
    }
  });

  it('refuses to start without what server mode needs, saying which variable is missing', async () => {
    const issuer = { CANCUOC_OIDC_ISSUER: 'https://id.cancuoc.example/realms/cancuoc' };
    const key = { CANCUOC_CLIENT_KEY_FILE: '/nonexistent/data-sharing-client.key' };
    const tls = {
      CANCUOC_TLS_CERT_FILE: '/nonexistent/tls.crt',
      CANCUOC_TLS_KEY_FILE: '/nonexistent/tls.key',
      CANCUOC_TLS_CA_FILE: '/nonexistent/ca.crt',
    };
    const server = { DATABASE_URL: db.url };
    const cases: [Record<string, string>, RegExp][] = [
      [server, /CANCUOC_OIDC_ISSUER is required with DATABASE_URL/],
      // A forgotten shared secret is noticed, not ignored: tokens come from the OpenID provider.
      [
        { ...server, ...issuer, ...key, ...tls, CANCUOC_AUTH_SECRET: 'x'.repeat(40) },
        /CANCUOC_AUTH_SECRET is no longer used/,
      ],
      [
        { ...server, CANCUOC_OIDC_ISSUER: 'id.cancuoc.example' },
        /CANCUOC_OIDC_ISSUER must be an http\(s\) URL/,
      ],
      [{ ...server, ...issuer }, /CANCUOC_CLIENT_KEY_FILE is required/],
      [{ ...server, ...issuer, ...key }, /server mode needs mutual TLS/],
      [{ ...server, ...issuer, ...key, CANCUOC_TLS_CERT_FILE: tls.CANCUOC_TLS_CERT_FILE }, /go together/],
      // Everything named, but data sharing's own key cannot be read: refused before anything opens.
      [
        { ...server, ...issuer, ...key, ...tls },
        /CANCUOC_CLIENT_KEY_FILE \/nonexistent\/data-sharing-client.key is not a readable/,
      ],
      // Embedded, plaintext is for loopback only.
      [{ DATA_SHARING_GRPC_HOST: '0.0.0.0' }, /plaintext gRPC is only for the embedded platform on loopback/],
    ];
    const results = await Promise.all(cases.map(([env]) => run([], env)));
    results.forEach((result, i) => {
      assert.equal(result.code, 1, `case ${i}: ${result.stderr}`);
      assert.match(result.stderr, /configuration refused/, `case ${i}`);
      assert.match(result.stderr, cases[i]![1], `case ${i}`);
    });
  });
});
