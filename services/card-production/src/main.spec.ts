/**
 * Card production's executable as a deployment runs it: `main.js migrate` as the migration job (it
 * needs no keys), and clear refusals when the configuration cannot serve.
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
const SECRET = 'main-test-secret-0123456789-0123456789-01';

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
      CANCUOC_AUTH_SECRET: SECRET,
      CARD_PRODUCTION_KEY_DIR: '/nonexistent',
    });
    assert.equal(noDataKey.code, 1);
    assert.match(noDataKey.stderr, /CARD_PRODUCTION_DATA_KEY is required/);
    const dataKey = Buffer.alloc(32, 7).toString('base64');
    const noKeyDir = await run([], {
      DATABASE_URL: db.url,
      CANCUOC_AUTH_SECRET: SECRET,
      CARD_PRODUCTION_DATA_KEY: dataKey,
    });
    assert.equal(noKeyDir.code, 1);
    assert.match(noKeyDir.stderr, /CARD_PRODUCTION_KEY_DIR is required/);
    const badKey = await run([], {
      DATABASE_URL: db.url,
      CANCUOC_AUTH_SECRET: SECRET,
      CARD_PRODUCTION_DATA_KEY: 'c2hvcnQ=',
    });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /CARD_PRODUCTION_DATA_KEY must be 32 bytes/);
  });
});
