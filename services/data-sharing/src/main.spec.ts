/**
 * Data sharing's executable as a deployment runs it: `main.js migrate` (the migration job),
 * `main.js verify-audit` (a scheduled integrity check; exit 2 when the chain is broken), and a clear
 * refusal when the configuration cannot work.
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
    // The migration job gets no token key (conventions).
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

  it('refuses to start against a server without a token key, saying which variable is missing', async () => {
    const result = await run([], { DATABASE_URL: db.url });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CANCUOC_AUTH_SECRET is required/);
  });
});
