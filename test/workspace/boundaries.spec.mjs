// The architecture's import rules are enforced by lint; these tests make sure the rules fire, so a
// broken lint set-up (a rule silently skipped for want of a project graph, say) cannot pass quietly.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

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

const imports = (what, from) =>
  `import ${what} from '${from}';\nexport const x = ${what.replace(/[{} *]|as /g, '')};\n`;

const cases = [
  {
    title: 'forbid a framework or adapter import in a service domain layer',
    file: 'services/registry/src/domain/citizen.ts',
    code: imports('{ Entity }', '@mikro-orm/core'),
    rule: 'no-restricted-imports',
    fires: true,
  },
  {
    title: 'forbid a domain layer reaching outward into infrastructure',
    file: 'services/registry/src/domain/citizen.ts',
    code: imports('{ repo }', '../infrastructure/repo.js'),
    rule: 'no-restricted-imports',
    fires: true,
  },
  {
    title: 'allow the same import outside the domain layer',
    file: 'services/registry/src/infrastructure/orm.ts',
    code: imports('{ Entity }', '@mikro-orm/core'),
    rule: 'no-restricted-imports',
    fires: false,
  },
  {
    title: 'forbid production library code importing the test infrastructure (Nx tags)',
    file: 'libs/eventstore/src/leak.ts',
    code: imports('{ createTestDatabase }', '@cancuoc/testing'),
    rule: '@nx/enforce-module-boundaries',
    fires: true,
  },
  {
    title: "let the same library's tests import the test infrastructure",
    file: 'libs/eventstore/src/leak.spec.ts',
    code: imports('{ createTestDatabase }', '@cancuoc/testing'),
    rule: '@nx/enforce-module-boundaries',
    fires: false,
  },
  {
    title: 'forbid a service importing another service',
    file: 'services/card-production/src/leak.ts',
    code: imports('{ startEnrollment }', '@cancuoc/enrollment'),
    rule: '@nx/enforce-module-boundaries',
    fires: true,
  },
  {
    title: 'let the cross-service tests import the services',
    file: 'test/tracing/src/leak.spec.ts',
    code: imports('{ startEnrollment }', '@cancuoc/enrollment'),
    rule: '@nx/enforce-module-boundaries',
    fires: false,
  },
  {
    title: 'forbid importing another project by relative path',
    file: 'libs/eventstore/src/leak.ts',
    code: imports('* as t', '../../testing/src/postgres.js'),
    rule: '@nx/enforce-module-boundaries',
    fires: true,
  },
];

describe('module boundaries', () => {
  for (const c of cases) {
    it(c.title, async () => {
      const rules = await lint(c.file, c.code);
      assert.equal(
        rules.includes(c.rule),
        c.fires,
        `${c.rule} ${c.fires ? 'did not fire' : 'fired'}: ${rules}`,
      );
    });
  }
});
