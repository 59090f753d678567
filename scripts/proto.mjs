#!/usr/bin/env node
// Contracts in proto/: `generate` writes the TypeScript in libs/proto/src/gen; `check` runs buf lint,
// the breaking-change check against main, and makes sure the committed generated code is current.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const generated = join(root, 'libs/proto/src/gen');

function buf(args, options = {}) {
  const result = spawnSync('buf', args, { cwd: protoDir, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status === 0;
}

function git(args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function files(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** The ref the breaking-change check compares against: main, or the remote's main in a CI checkout. */
function baseRef() {
  for (const ref of [process.env.PROTO_BREAKING_AGAINST, 'main', 'origin/main']) {
    if (ref && git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])) return ref;
  }
  return undefined;
}

function check() {
  let ok = buf(['lint']);
  const ref = baseRef();
  if (!ref) {
    console.error('proto: no main branch to compare against (set PROTO_BREAKING_AGAINST to a git ref)');
    ok = false;
  } else if (git(['cat-file', '-e', `${ref}:proto/buf.yaml`]) === undefined) {
    console.log(`proto: ${ref} has no proto/ yet, so nothing can break`);
  } else {
    console.log(`proto: breaking-change check against ${ref}`);
    ok = buf(['breaking', '--against', `${join(root, '.git')}#ref=${ref},subdir=proto`]) && ok;
  }
  const out = mkdtempSync(join(tmpdir(), 'cancuoc-proto-'));
  try {
    ok = buf(['generate', '-o', join(out, 'proto')]) && ok;
    const fresh = join(out, 'libs/proto/src/gen');
    const want = files(fresh);
    const have = files(generated);
    const stale = [
      ...want.filter(
        (f) => !have.includes(f) || !readFileSync(join(fresh, f)).equals(readFileSync(join(generated, f))),
      ),
      ...have.filter((f) => !want.includes(f)),
    ];
    if (stale.length > 0) {
      console.error(`proto: generated code is out of date (${stale.join(', ')}); run npm run proto:generate`);
      ok = false;
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  if (!ok) process.exit(1);
  console.log(`proto: lint, breaking and generated code (${relative(root, generated)}) ok`);
}

const command = process.argv[2];
if (command === 'generate') process.exit(buf(['generate']) ? 0 : 1);
else if (command === 'check') check();
else {
  console.error('usage: node scripts/proto.mjs generate|check');
  process.exit(2);
}
