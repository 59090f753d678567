import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from `deploy/dist/*.js` or `deploy/src/*.ts` alike. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

/** The release being deployed: the workspace version, which tags every image. */
export const RELEASE: string = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
