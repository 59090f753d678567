import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dockerfileViolations, parseDockerfile } from './dockerfile-checks.js';
import { dockerfilePath } from './dockerfile.js';
import { REPO_ROOT } from './paths.js';
import { SERVICES } from './topology.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

describe('Dockerfiles', () => {
  for (const service of SERVICES) {
    it(`${service.name}: multi-stage, pinned base, non-root, production dependencies and dist only`, () => {
      const text = read(dockerfilePath(service));
      assert.deepEqual(dockerfileViolations(text, service.name), []);
      const { stages } = parseDockerfile(text);
      assert.deepEqual(
        stages.map((s) => s.name),
        ['build', 'production-dependencies', 'runtime'],
      );
      const runtime = stages
        .at(-1)!
        .instructions.filter((i) => i.keyword === 'COPY')
        .map((i) => i.args);
      for (const copy of runtime) assert.match(copy, /node_modules|package\.json|\/dist /, copy);
    });
  }

  it('keep the build context free of installs, builds, local data and keys', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const pattern of [
      '.git',
      '**/node_modules',
      '**/dist',
      '**/.data',
      '**/.env*',
      '**/*.pem',
      '**/*.key',
    ]) {
      assert.ok(ignored.includes(pattern), pattern);
    }
  });

  // The checks must fail when they should.
  const good = read(dockerfilePath(SERVICES[0]!));
  const breaches: { title: string; edit: (text: string) => string; violation: RegExp }[] = [
    {
      title: 'a base image by tag',
      edit: (t) => t.replace(/ARG NODE_IMAGE=.*/, 'ARG NODE_IMAGE=node:24-slim'),
      violation: /base node:24-slim is not pinned by digest/,
    },
    {
      title: 'a root runtime',
      edit: (t) => t.replace(/^USER .*$/m, 'USER root'),
      violation: /not a numeric non-root UID/,
    },
    { title: 'no USER at all', edit: (t) => t.replace(/^USER .*\n/m, ''), violation: /sets no USER/ },
    {
      title: 'a single stage',
      edit: (t) => t.split('\nFROM ${NODE_IMAGE} AS production-dependencies')[0]!,
      violation: /not a multi-stage build/,
    },
    {
      title: 'a copied .env file',
      edit: (t) => t.replace('WORKDIR /app', 'WORKDIR /app\nCOPY .env .env'),
      violation: /copies secret material/,
    },
    {
      title: 'a secret baked in as ENV',
      edit: (t) =>
        t.replace('ENV NODE_ENV=production', 'ENV NODE_ENV=production\nENV KAFKA_SASL_PASSWORD=abc'),
      violation: /a secret in the image/,
    },
    {
      title: 'the whole context in the runtime stage',
      edit: (t) => t.replace('WORKDIR /app', 'WORKDIR /app\nCOPY . .'),
      violation: /copies the whole context/,
    },
    {
      title: 'development dependencies in the runtime',
      edit: (t) => t.replace('npm ci --omit=dev', 'npm ci'),
      violation: /do not come from an npm ci --omit=dev stage/,
    },
    {
      title: 'a HEALTHCHECK (the kubelet probes gRPC itself)',
      edit: (t) => t.replace('USER ', 'HEALTHCHECK CMD node -e 1\nUSER '),
      violation: /HEALTHCHECK present/,
    },
  ];
  for (const b of breaches) {
    it(`catch ${b.title}`, () => {
      const violations = dockerfileViolations(b.edit(good), SERVICES[0]!.name);
      assert.ok(
        violations.some((v) => b.violation.test(v)),
        violations.join('\n') || 'no violations',
      );
    });
  }
});
