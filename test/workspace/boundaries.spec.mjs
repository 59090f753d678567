// The architecture's import rules are enforced by lint; these tests make sure the rules fire, so a
// broken lint set-up (a rule silently skipped for want of a project graph, say) cannot pass quietly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function lint(filePath, code) {
  const eslint = new ESLint({
    cwd: root,
    // The snippets are not part of any tsconfig; the import rules need no type information.
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
      },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result.messages.map((m) => m.ruleId);
}

describe('module boundaries', () => {
  it('forbid a framework or adapter import in a service domain layer', async () => {
    const rules = await lint(
      'services/registry/src/domain/citizen.ts',
      "import { Entity } from '@mikro-orm/core';\nexport const x = Entity;\n",
    );
    assert.ok(rules.includes('no-restricted-imports'), `got ${rules.join(', ')}`);
  });

  it('forbid a domain layer reaching outward into infrastructure', async () => {
    const rules = await lint(
      'services/registry/src/domain/citizen.ts',
      "import { repo } from '../infrastructure/repo.js';\nexport const x = repo;\n",
    );
    assert.ok(rules.includes('no-restricted-imports'), `got ${rules.join(', ')}`);
  });

  it('allow the same import outside the domain layer', async () => {
    const rules = await lint(
      'services/registry/src/infrastructure/orm.ts',
      "import { Entity } from '@mikro-orm/core';\nexport const x = Entity;\n",
    );
    assert.ok(!rules.includes('no-restricted-imports'), `got ${rules.join(', ')}`);
  });

  it('forbid production library code importing the test infrastructure (Nx tags)', async () => {
    const rules = await lint(
      'libs/eventstore/src/leak.ts',
      "import { createTestDatabase } from '@cancuoc/testing';\nexport const x = createTestDatabase;\n",
    );
    assert.ok(rules.includes('@nx/enforce-module-boundaries'), `got ${rules.join(', ')}`);
  });

  it("let the same library's tests import the test infrastructure", async () => {
    const rules = await lint(
      'libs/eventstore/src/leak.spec.ts',
      "import { createTestDatabase } from '@cancuoc/testing';\nexport const x = createTestDatabase;\n",
    );
    assert.ok(!rules.includes('@nx/enforce-module-boundaries'), `got ${rules.join(', ')}`);
  });

  it('forbid importing another project by relative path', async () => {
    const rules = await lint(
      'libs/eventstore/src/leak.ts',
      "import * as t from '../../testing/src/postgres.js';\nexport const x = t;\n",
    );
    assert.ok(rules.includes('@nx/enforce-module-boundaries'), `got ${rules.join(', ')}`);
  });
});
