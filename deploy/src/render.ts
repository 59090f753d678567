/**
 * `npm run deploy:render` writes the rendered manifests, the Grafana dashboard and the Dockerfiles;
 * `node deploy/dist/render.js --check [--root DIR]` writes nothing and fails (exit 1) when the
 * committed files differ from what the code renders, naming each stale, missing or unexpected file.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { generatedFiles, ownedFolders } from './outputs.js';
import { REPO_ROOT } from './paths.js';

export interface Drift {
  readonly stale: string[];
  readonly missing: string[];
  readonly unexpected: string[];
}

function filesUnder(root: string, folder: string): string[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

export function drift(root: string, expected = generatedFiles()): Drift {
  const result: Drift = { stale: [], missing: [], unexpected: [] };
  for (const [path, content] of expected) {
    const file = join(root, path);
    if (!existsSync(file)) result.missing.push(path);
    else if (readFileSync(file, 'utf8') !== content) result.stale.push(path);
  }
  for (const folder of ownedFolders()) {
    for (const path of filesUnder(root, folder)) if (!expected.has(path)) result.unexpected.push(path);
  }
  return result;
}

export function write(root: string): number {
  const expected = generatedFiles();
  for (const path of drift(root, expected).unexpected) rmSync(join(root, path));
  for (const [path, content] of expected) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return expected.size;
}

function main(args: string[]): number {
  const root = args.includes('--root') ? args[args.indexOf('--root') + 1]! : REPO_ROOT;
  if (!args.includes('--check')) {
    process.stdout.write(`deploy: rendered ${write(root)} files\n`);
    return 0;
  }
  const { stale, missing, unexpected } = drift(root);
  const problems = [
    ...stale.map((p) => `stale: ${p}`),
    ...missing.map((p) => `missing: ${p}`),
    ...unexpected.map((p) => `unexpected: ${p}`),
  ];
  if (problems.length === 0) return 0;
  process.stderr.write(
    `deploy: rendered files are out of date; run npm run deploy:render\n${problems.join('\n')}\n`,
  );
  return 1;
}

if (process.argv[1] && import.meta.filename === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
