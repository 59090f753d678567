import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Packages that are frameworks or adapters: domain code must not import them (hexagonal rule). */
const ADAPTERS = [
  '@nestjs/*',
  '@mikro-orm/*',
  '@grpc/*',
  '@opentelemetry/*',
  '@electric-sql/*',
  'kafkajs',
  'ioredis',
  'pg',
  'kysely',
  'node:*',
];

/** Services own their code; they meet only through libs/ and proto/ contracts. */
const SERVICES = ['registry', 'enrollment', 'card-production', 'data-sharing'];

function boundaries({ productionCode, allow = [] }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow,
      depConstraints: [
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...SERVICES.map((s) => ({
          sourceTag: `scope:${s}`,
          onlyDependOnLibsWithTags: [`scope:${s}`, 'scope:shared'],
        })),
        // The all-in-one launcher and CLI composes every service; the end-to-end suite drives it.
        {
          sourceTag: 'scope:platform',
          onlyDependOnLibsWithTags: ['scope:shared', ...SERVICES.map((s) => `scope:${s}`)],
        },
        {
          sourceTag: 'scope:e2e',
          onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform', ...SERVICES.map((s) => `scope:${s}`)],
        },
        // The benchmarks drive the platform as its users do (the demo, `cancuoc start`).
        { sourceTag: 'scope:perf', onlyDependOnLibsWithTags: ['scope:shared', 'scope:platform'] },
        // Shared-kernel domain libs stay pure.
        {
          sourceTag: 'type:domain',
          onlyDependOnLibsWithTags: ['type:domain'],
          bannedExternalImports: ADAPTERS,
        },
        // Test infrastructure is for tests: production library code never imports it. (Checked on
        // direct imports: a lib's own tests may use it without tainting the lib's dependants.)
        productionCode
          ? { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:domain'] }
          : { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:service', 'type:perf'] },
        { sourceTag: 'type:testing', notDependOnLibsWithTags: ['type:service', 'type:perf'] },
        // Cross-service tests (test/tracing) start several services in one process: they may import
        // any project's public entry point (the services' by the allowance below), nothing them.
        { sourceTag: 'scope:cross-service', onlyDependOnLibsWithTags: ['*'] },
      ],
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/.nx',
      'test/workspace/fixtures/**',
      'libs/proto/src/gen/**',
      'libs/grpc/src/gen/**',
      'libs/grpc/src/test-support/gen/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ productionCode: false }),
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      // With noUncheckedIndexedAccess, `xs[0]!` after a length check is the honest spelling.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only the cross-service tests may import services (apps), by their packages' entry points.
    files: ['test/tracing/src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({
        productionCode: false,
        allow: SERVICES.map((s) => `@cancuoc/${s}`),
      }),
    },
  },
  {
    files: ['libs/*/src/**/*.ts', 'services/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/test-support/**'],
    rules: { '@nx/enforce-module-boundaries': boundaries({ productionCode: true }) },
  },
  {
    // The all-in-one launcher and the end-to-end suite are the one place the services are imported
    // (their start functions): Nx forbids importing applications, so these imports are allowed here
    // by name; the depConstraints above still keep every service from importing another.
    files: ['services/platform/src/**/*.ts', 'test/e2e/src/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({
        productionCode: false,
        allow: [...SERVICES, 'platform'].map((s) => `@cancuoc/${s}`),
      }),
    },
  },
  {
    // The pipeline and memory benchmarks start the platform as a user does: its package, by name.
    files: ['test/perf/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ productionCode: false, allow: ['@cancuoc/platform'] }),
    },
  },
  {
    // Inside a service, the domain layer is pure: no framework, no adapter, no I/O.
    files: ['services/*/src/domain/**/*.ts', 'libs/identity/src/**/*.ts', 'libs/icao9303/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ADAPTERS.filter((p) => p !== 'node:*'),
              message: 'domain code imports no framework or adapter',
            },
            { group: ['**/infrastructure/**', '**/application/**'], message: 'dependencies point inward' },
          ],
        },
      ],
    },
  },
];
