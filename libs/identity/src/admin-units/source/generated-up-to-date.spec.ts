import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateAdminUnits, SOURCE_FILES, type AdminUnitSources } from './generate.js';

// dist/admin-units/source/ → the repository root; the data set lies beside it (CI checks out
// ../shared). Nothing in the library reads it at run time: only this test and the generator.
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const SOURCE = process.env['CANCUOC_ADMIN_UNITS_SOURCE'] ?? join(ROOT, '..', 'shared', 'data', 'admin-units');
const present = existsSync(join(SOURCE, SOURCE_FILES.successors));

describe('the committed administrative-unit data', () => {
  it(
    'is what the generator makes of the published lists',
    { skip: present ? false : `no published lists at ${SOURCE} (CI has them)` },
    () => {
      const sources = Object.fromEntries(
        Object.entries(SOURCE_FILES).map(([key, file]) => [key, readFileSync(join(SOURCE, file), 'utf8')]),
      ) as unknown as AdminUnitSources;
      const stale: string[] = [];
      for (const [path, content] of generateAdminUnits(sources)) {
        const target = join(ROOT, path);
        if (!existsSync(target) || readFileSync(target, 'utf8') !== content) stale.push(path);
      }
      assert.deepEqual(
        stale,
        [],
        'out of date; run: npx tsc -b libs/identity && node libs/identity/scripts/generate-admin-units.mjs',
      );
    },
  );
});
