/**
 * Enrollment's executable as a deployment runs it: `main.js migrate` as the migration job before a
 * rollout, and a clear refusal when the configuration cannot work.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const SECRET = 'enrollment-main-test-secret-0123456789-01';

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

describe('enrollment executable', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('enrollment_main');
  });
  after(() => db.drop());

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

  it('refuses to serve against a database without a master key or a token key, saying which', async () => {
    const noKeys = await run([], { DATABASE_URL: db.url, CANCUOC_AUTH_SECRET: SECRET });
    assert.equal(noKeys.code, 1);
    assert.match(noKeys.stderr, /ENROLLMENT_MASTER_KEYS is required/);
    const badKey = await run([], {
      DATABASE_URL: db.url,
      CANCUOC_AUTH_SECRET: SECRET,
      ENROLLMENT_MASTER_KEYS: 'c2hvcnQ=',
    });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /keys of 32 bytes/);
    const noSecret = await run([], {
      DATABASE_URL: db.url,
      ENROLLMENT_MASTER_KEYS: randomBytes(32).toString('hex'),
    });
    assert.equal(noSecret.code, 1);
    assert.match(noSecret.stderr, /CANCUOC_AUTH_SECRET is required/);
  });
});
