#!/usr/bin/env node
// The one test command (`npm test`): build, static checks, then every test file against the real
// PostgreSQL, Redis and a Kafka-protocol broker. Usage: npm test [-- --only <dir>] [-- --no-checks]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
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
step('tests (node --test)', 'node', [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  '--test-reporter=spec',
  ...patterns,
]);
