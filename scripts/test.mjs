#!/usr/bin/env node
// The one test command (`npm test`): build, static checks, then every test file against the real
// PostgreSQL, Redis and a Kafka-protocol broker. Usage: npm test [-- --only <dir>] [-- --no-checks]
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const checks = !args.includes('--no-checks');

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Cancuoc needs Node 24; this is ${process.version}. Run it through npm (npm test), which puts the ` +
      `workspace's own Node 24 (node_modules/.bin/node, from 'npm install') first on the PATH.`,
  );
  process.exit(1);
}

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

function step(title, command, commandArgs) {
  console.log(`\n── ${title}`);
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`── ${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  console.log(`── ${title}: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

step('servers: PostgreSQL, Redis, Kafka test broker toolchain', 'bash', ['scripts/ensure-services.sh']);
step('build (tsc -b)', 'tsc', ['-b', 'tsconfig.json']);
if (checks) {
  step('project graph (for module-boundary lint)', 'nx', ['show', 'projects']);
  step('lint (eslint, module boundaries)', 'eslint', ['.', '--max-warnings=0']);
  step('format (prettier --check)', 'prettier', ['--check', '.', '--log-level=warn']);
  step('contracts (buf lint, breaking change against main, generated code)', 'node', [
    'scripts/proto.mjs',
    'check',
  ]);
}

const patterns = only
  ? [`${only}/dist/**/*.spec.js`, `${only}/**/*.spec.mjs`]
  : [
      'libs/*/dist/**/*.spec.js',
      'services/*/dist/**/*.spec.js',
      'deploy/dist/**/*.spec.js',
      'test/*/**/*.spec.mjs',
      'test/*/dist/**/*.spec.js',
    ];
const files = [...new Set(patterns.flatMap((pattern) => globSync(pattern, { cwd: root })))]
  .filter((file) => !file.split('/').includes('node_modules'))
  .sort();
// Longest first: the end-to-end files take minutes each, so they start at once and the short files
// fill the other slots around them, instead of the run ending on one e2e file alone. The rest keep
// their path order.
const LONGEST = [
  'test/e2e/dist/embedded.spec.js',
  'test/e2e/dist/server.spec.js',
  'test/e2e/dist/crash.spec.js',
  'test/e2e/dist/crash-server.spec.js',
  'test/e2e/dist/fuzz.spec.js',
  'services/platform/dist/flow/demo.spec.js',
  'test/e2e/dist/cli-signals.spec.js',
];
const rank = (file) => {
  const at = LONGEST.indexOf(file);
  return at === -1 ? LONGEST.length : at;
};
files.sort((a, b) => rank(a) - rank(b));

if (files.length === 0) {
  console.error(`── no test files match ${patterns.join(' ')}`);
  process.exit(1);
}
console.log(`\n── tests (node:test, ${files.length} files, 3 at a time)`);
const started = Date.now();
const stream = run({
  files: files.map((file) => join(root, file)),
  cwd: root,
  concurrency: 3,
  timeout: 300_000,
});
const took = new Map();
let success = false;
stream.on('test:complete', (event) => {
  const { file, name, details } = event;
  if (file !== undefined && name === file) took.set(relative(root, file), details.duration_ms);
});
stream.on('test:summary', (event) => {
  if (event.file === undefined) success = event.success;
});
stream.compose(spec).pipe(process.stdout);
await finished(stream);
const slowest = [...took].sort((a, b) => b[1] - a[1]).slice(0, 8);
console.log('── slowest files:');
for (const [file, ms] of slowest) console.log(`   ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`);
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (!success) {
  console.error(`── tests failed (${seconds} s)`);
  process.exit(1);
}
console.log(`── tests: ok in ${seconds} s`);
