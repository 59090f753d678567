#!/usr/bin/env node
// The `cancuoc` command. Committed (not built) so that `npm ci` can link the bin before the first
// build; it runs the compiled CLI, and says so when it has not been built yet.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('cancuoc: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
