/**
 * The registry's executable as a deployment runs it: `main.js migrate` as the migration job before a
 * rollout, and a clear refusal when the configuration cannot work.
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

describe('registry executable', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('registry_main');
  });
  after(() => db.drop());

  it('`migrate` applies the migrations once and exits; a second run applies none', async () => {
    // The migration job has the database and nothing else: no token key.
    const env = { DATABASE_URL: db.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout.trim()) as { applied: string[] }).applied;
    assert.ok(
      applied.some((name) => name.includes('registry')),
      applied.join(','),
    );

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name = 'reg_citizens'`,
      );
      assert.equal(rows[0]!.n, '1');
    } finally {
      await client.end();
    }

    const second = await run(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout.trim()) as { applied: string[] }).applied, []);
  });

  it('refuses to start against a server without a token key, saying which variable is missing', async () => {
    const result = await run([], { DATABASE_URL: db.url });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CANCUOC_AUTH_SECRET is required/);
  });
});
