/**
 * The registry's executable as a deployment runs it: `main.js migrate` as the migration job before a
 * rollout, and a clear refusal when the configuration cannot work.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createClient, Health, HealthCheckResponse_ServingStatus } from '@cancuoc/grpc';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('registry executable', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('registry_main');
  });
  after(() => db.drop());

  it('`migrate` applies the migrations once and exits; a second run applies none', async () => {
    // The migration job has the database and nothing else: no token key.
    const env = { DATABASE_URL: db.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout.trim()) as { applied: string[] }).applied;
    assert.ok(
      applied.some((name) => name.includes('registry')),
      applied.join(','),
    );

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name = 'reg_citizens'`,
      );
      assert.equal(rows[0]!.n, '1');
    } finally {
      await client.end();
    }

    const second = await run(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout.trim()) as { applied: string[] }).applied, []);
  });

  it('refuses to start against a server without a token key, saying which variable is missing', async () => {
    const result = await run([], { DATABASE_URL: db.url });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /CANCUOC_AUTH_SECRET is required/);
  });

  it('serves with its collector unreachable, logs JSON lines, and flushes telemetry on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'registry-main-'));
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: join(dataDir, 'registry'),
        REGISTRY_GRPC_HOST: '127.0.0.1',
        REGISTRY_GRPC_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    const started = new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
          const line = JSON.parse(buffered.slice(0, end)) as Record<string, unknown>;
          buffered = buffered.slice(end + 1);
          lines.push(line);
          if (line.msg === 'registry started') resolve(line.port as number);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const port = await started;
      const health = createClient(Health, `127.0.0.1:${port}`);
      try {
        const reply = await health.check({ service: '' }, { timeoutMs: 10_000 });
        assert.equal(reply.status, HealthCheckResponse_ServingStatus.SERVING);
      } finally {
        health[Symbol.dispose]();
      }
      await new Promise((r) => setTimeout(r, 700)); // a few failed metric exports
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, stderr);
      const startLine = lines.find((l) => l.msg === 'registry started')!;
      assert.equal(startLine.service, 'registry');
      assert.equal(startLine.traces, 'exported');
      assert.equal(startLine.level, 'info');
      assert.ok(lines.some((l) => l.msg === 'registry stopping'));
      for (const line of stderr.split('\n').filter(Boolean)) {
        assert.equal((JSON.parse(line) as { msg: string }).msg, 'telemetry.sdk_problem', line);
      }
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
