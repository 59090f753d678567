#!/usr/bin/env node
// Regenerates libs/identity's administrative-unit data from the published lists: the three maps
// (2025-03-01, 2025-07-01, 2026-04-30) and the 2025 succession as committed TypeScript, the data
// set's LICENSE beside them, and the succession report docs/admin-units-succession.md.
//
//   npx tsc -b libs/identity && node libs/identity/scripts/generate-admin-units.mjs [--source DIR] [--check]
//
// DIR defaults to ../shared/data/admin-units beside the repository. --check writes nothing and
// exits 1 when a committed file differs (the test generated-up-to-date.spec.ts does the same).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const args = process.argv.slice(2);
const source = args.includes('--source')
  ? args[args.indexOf('--source') + 1]
  : join(root, '..', 'shared', 'data', 'admin-units');
const check = args.includes('--check');

const compiled = join(root, 'libs/identity/dist/admin-units/source/generate.js');
if (!existsSync(compiled)) {
  console.error('Build first: npx tsc -b libs/identity');
  process.exit(1);
}
const { generateAdminUnits, SOURCE_FILES } = await import(compiled);

const sources = Object.fromEntries(
  Object.entries(SOURCE_FILES).map(([key, file]) => [key, readFileSync(join(source, file), 'utf8')]),
);
let stale = 0;
for (const [path, content] of generateAdminUnits(sources)) {
  const target = join(root, path);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (current === content) continue;
  stale++;
  if (check) {
    console.error(`out of date: ${path}`);
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
if (check && stale > 0) process.exit(1);
if (stale === 0) console.log(`up to date with ${relative(root, source) || source}`);
