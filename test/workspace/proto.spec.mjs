// The contract checks in the test command must fail when they should: a removed field is a
// breaking change against main, and a .proto edited without regenerating leaves stale code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const citizenProto = 'proto/cancuoc/events/v1/citizen.proto';
let repo;

function run(command, args) {
  return spawnSync(command, args, { cwd: repo, encoding: 'utf8' });
}

function git(...args) {
  const result = run('git', ['-c', 'user.email=t@cancuoc', '-c', 'user.name=t', ...args]);
  assert.equal(result.status, 0, result.stderr);
}

const check = () => run('node', ['scripts/proto.mjs', 'check']);
const generate = () => assert.equal(run('node', ['scripts/proto.mjs', 'generate']).status, 0);

describe('proto contract checks', () => {
  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'cancuoc-proto-spec-'));
    for (const path of ['scripts/proto.mjs', 'proto', 'libs/proto/src/gen']) {
      cpSync(join(root, path), join(repo, path), { recursive: true });
    }
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'contracts');
    git('checkout', '-q', '-b', 'change');
  });
  after(() => rmSync(repo, { recursive: true, force: true }));

  it('passes on the contracts as they are on main', () => {
    const result = check();
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('fails when a field is removed, even with the code regenerated', () => {
    const original = readFileSync(join(repo, citizenProto), 'utf8');
    try {
      writeFileSync(join(repo, citizenProto), original.replace(/\n {2}string religion = 9;/, ''));
      generate();
      const result = check();
      assert.notEqual(result.status, 0);
      assert.match(result.stdout + result.stderr, /religion|field/i);
    } finally {
      writeFileSync(join(repo, citizenProto), original);
      generate();
    }
  });

  it('fails when a .proto changed but the generated code was not regenerated', () => {
    const original = readFileSync(join(repo, citizenProto), 'utf8');
    try {
      writeFileSync(
        join(repo, citizenProto),
        original.replace('string detail = 3;', 'string detail = 3;\n  string postal_code = 4;'),
      );
      const result = check();
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /out of date/);
    } finally {
      writeFileSync(join(repo, citizenProto), original);
    }
  });

  it('fails on a lint violation', () => {
    const original = readFileSync(join(repo, citizenProto), 'utf8');
    try {
      writeFileSync(join(repo, citizenProto), original.replace('SEX_UNSPECIFIED = 0', 'UNKNOWN = 0'));
      assert.notEqual(check().status, 0);
    } finally {
      writeFileSync(join(repo, citizenProto), original);
    }
  });
});
