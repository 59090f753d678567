import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@cancuoc/observability';
import { runServiceMain, type ProcessContext, type ServiceMainSpec } from './service-main.js';

class TestConfigError extends Error {}

interface Harness {
  readonly lines: Array<Record<string, unknown>>;
  readonly exits: number[];
  readonly signals: Map<string, () => void>;
  readonly context: ProcessContext;
}

function harness(argv: string[], env: NodeJS.ProcessEnv = { OTEL_SDK_DISABLED: 'true' }): Harness {
  const lines: Array<Record<string, unknown>> = [];
  const exits: number[] = [];
  const signals = new Map<string, () => void>();
  return {
    lines,
    exits,
    signals,
    context: {
      argv,
      env,
      exit: (code) => exits.push(code),
      onSignal: (signal, handler) => signals.set(signal, handler),
      logger: createLogger({ service: 'test', write: (line) => lines.push(JSON.parse(line)) }),
    },
  };
}

type Storage = { db: string; databaseUrl: undefined; dataDir: undefined };

function spec(overrides: Partial<ServiceMainSpec<Storage, { db: string }>> = {}) {
  const calls: string[] = [];
  const value: ServiceMainSpec<Storage, { db: string }> = {
    name: 'widget',
    auditChain: 'widget',
    storageConfigFromEnv: () => ({ db: 'storage-only', databaseUrl: undefined, dataDir: undefined }),
    configFromEnv: () => ({ db: '' }),
    migrate: async (storage) => {
      calls.push(`migrate ${storage.db}`);
      return ['0001-widgets'];
    },
    embedded: (config) => config.db === '',
    start: async (_config, { migrate }) => {
      calls.push(`start migrate=${migrate}`);
      return {
        grpc: { port: 4242 },
        stop: async () => void calls.push('stop'),
      };
    },
    configError: TestConfigError,
    ...overrides,
  };
  return { value, calls };
}

const waitFor = async (condition: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('a service executable', () => {
  it('`migrate` migrates with the storage configuration only, and exits 0', async () => {
    const h = harness(['migrate']);
    const s = spec({
      configFromEnv: () => {
        throw new TestConfigError('CANCUOC_AUTH_SECRET is required');
      },
    });
    await runServiceMain(s.value, h.context);
    assert.deepEqual(s.calls, ['migrate storage-only']);
    assert.deepEqual(h.exits, [0]);
    assert.deepEqual(h.lines[0]?.applied, ['0001-widgets']);
  });

  it('serves, migrating when embedded, and stops on SIGTERM before exiting 0', async () => {
    const h = harness([]);
    const s = spec();
    await runServiceMain(s.value, h.context);
    assert.deepEqual(s.calls, ['start migrate=true']);
    assert.equal(h.lines.find((l) => l.msg === 'widget started')?.port, 4242);
    assert.deepEqual(h.exits, []);
    h.signals.get('SIGTERM')!();
    h.signals.get('SIGINT')!();
    await waitFor(() => h.exits.length > 0);
    assert.deepEqual(s.calls, ['start migrate=true', 'stop']);
    assert.deepEqual(h.exits, [0]);
  });

  it('migrates against a server only when asked', async () => {
    for (const [argv, expected] of [
      [[], 'start migrate=false'],
      [['--migrate'], 'start migrate=true'],
    ] as const) {
      const s = spec({ configFromEnv: () => ({ db: 'postgres://db' }) });
      const h = harness([...argv]);
      await runServiceMain(s.value, h.context);
      // One process holds one telemetry SDK: stop this service before the next starts.
      h.signals.get('SIGTERM')!();
      await waitFor(() => h.exits.length > 0);
      assert.deepEqual(s.calls, [expected, 'stop']);
    }
  });

  it('shows a refused configuration, but of any other failure only its class', async () => {
    const refused = harness([]);
    await runServiceMain(
      spec({
        configFromEnv: () => {
          throw new TestConfigError('DATABASE_URL must be a postgres:// URL');
        },
      }).value,
      refused.context,
    );
    assert.deepEqual(refused.exits, [1]);
    assert.equal(refused.lines[0]?.problem, 'DATABASE_URL must be a postgres:// URL');

    const failed = harness([]);
    await runServiceMain(
      spec({
        start: async () => {
          throw new Error('connect ECONNREFUSED for citizen 001188000001');
        },
      }).value,
      failed.context,
    );
    assert.deepEqual(failed.exits, [1]);
    assert.equal(failed.lines[0]?.msg, 'widget start-up failed');
    assert.ok(!JSON.stringify(failed.lines).includes('001188000001'), JSON.stringify(failed.lines));
  });

  it('names the server that did not answer at start-up, by its variable, without the driver’s message', async () => {
    const h = harness([]);
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432 user=registry'), {
      code: 'ECONNREFUSED',
      stack: 'Error: connect ECONNREFUSED\n    at /app/node_modules/pg-pool/index.js:45:11',
    });
    await runServiceMain(
      spec({
        start: async () => {
          throw new Error('start failed', { cause: refused });
        },
      }).value,
      h.context,
    );
    assert.deepEqual(h.exits, [1]);
    assert.equal(h.lines[0]?.problem, 'the PostgreSQL server (DATABASE_URL) did not answer (ECONNREFUSED)');
    assert.ok(!JSON.stringify(h.lines).includes('10.0.0.7'), JSON.stringify(h.lines));
  });
});
