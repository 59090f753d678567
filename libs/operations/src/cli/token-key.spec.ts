import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from './command.js';
import { readTokenKey } from './services.js';

const KEY = 'k'.repeat(40);
const OTHER = 'o'.repeat(40);

function platformFolder(key: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'token-key-'));
  writeFileSync(join(dir, 'auth-secret'), `${key}\n`);
  return dir;
}

describe('the token key every cancuoc command signs with', () => {
  it('takes --secret-file first, then CANCUOC_AUTH_SECRET, then the data folder', () => {
    const file = join(platformFolder(KEY), 'auth-secret');
    const dir = platformFolder(OTHER);
    assert.equal(readTokenKey({ file, dataDir: dir }, { CANCUOC_AUTH_SECRET: OTHER }), KEY);
    assert.equal(readTokenKey({ dataDir: dir }, { CANCUOC_AUTH_SECRET: KEY }), KEY);
    assert.equal(readTokenKey({ dataDir: dir }, {}), OTHER);
  });

  it('finds the embedded platform started with another data folder through CANCUOC_DATA_DIR', () => {
    assert.equal(readTokenKey({}, { CANCUOC_DATA_DIR: platformFolder(KEY) }), KEY);
  });

  it('refuses a missing or short key with one line naming the file', () => {
    const missing = join(tmpdir(), 'no-such-platform-folder');
    assert.throws(
      () => readTokenKey({ dataDir: missing }, {}),
      (e: Error) => e instanceof CliError && e.message.includes(join(missing, 'auth-secret')),
    );
    assert.throws(() => readTokenKey({ dataDir: platformFolder('short') }, {}), /holds no token key/);
  });
});
