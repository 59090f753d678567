/**
 * The registry's executable as a deployment runs it: `main.js migrate` as the migration job before a
 * rollout, a clear refusal when the configuration cannot work, and the server on mutual TLS.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  channelCredentialsFor,
  createClient,
  DevelopmentCa,
  Health,
  HealthCheckResponse_ServingStatus,
  readErrorDetails,
  status,
  type TlsFiles,
} from '@cancuoc/grpc';
import { RegistryService } from '@cancuoc/proto';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

const tlsEnv = (files: TlsFiles) => ({
  CANCUOC_TLS_CERT_FILE: files.certFile,
  CANCUOC_TLS_KEY_FILE: files.keyFile,
  CANCUOC_TLS_CA_FILE: files.caFile,
});

/**
 * The registry's server identity (localhost, 127.0.0.1) and an enrollment client's, issued into
 * `dir` by a CA of the test's own: what cert-manager puts in each workload's Secret.
 */
async function makeTlsFiles(dir: string): Promise<{ server: TlsFiles; client: TlsFiles }> {
  const ca = await DevelopmentCa.inMemory();
  return {
    server: await ca.writeIdentity(join(dir, 'registry'), 'service:registry', {
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    }),
    client: await ca.writeIdentity(join(dir, 'enrollment'), 'service:enrollment'),
  };
}

/** Starts the executable; resolves with its port once it logs `registry started`, and its log lines. */
function serve(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
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
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr.text}`)));
  });
  const stderr = { text: '' };
  child.stderr.on('data', (chunk: Buffer) => (stderr.text += chunk.toString()));
  return { child, lines, started, stderr };
}

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
    // The migration job has the database and nothing else: no issuer, no certificates.
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

  it('refuses a server-mode configuration that cannot work, saying which variable is wrong', async () => {
    // Every refusal is tested in config.spec.ts; here, that the executable says it, whether found
    // reading the environment or when starting (the client key is read then).
    const dir = await mkdtemp(join(tmpdir(), 'registry-config-'));
    try {
      const { server } = await makeTlsFiles(dir);
      for (const [env, message] of [
        [{}, /CANCUOC_OIDC_ISSUER is required with DATABASE_URL/],
        [
          {
            CANCUOC_OIDC_ISSUER: 'https://login.example.vn',
            CANCUOC_CLIENT_KEY_FILE: join(dir, 'missing.pem'),
            ...tlsEnv(server),
          },
          /CANCUOC_CLIENT_KEY_FILE .*missing\.pem is not a readable ES256 private key/,
        ],
      ] as const) {
        const result = await run([], { DATABASE_URL: db.url, ...env });
        assert.equal(result.code, 1, result.stdout);
        const line = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { msg: string; problem: string };
        assert.equal(line.msg, 'registry configuration refused', result.stderr);
        assert.match(line.problem, message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves on mutual TLS in server mode: no plaintext, no call without a token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-mtls-'));
    const { server, client } = await makeTlsFiles(dir);
    const clientKeyFile = join(dir, 'client-key.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(clientKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const registry = serve(
      {
        DATABASE_URL: db.url,
        // Only asked when a token is checked or fetched: nothing listens there.
        CANCUOC_OIDC_ISSUER: 'http://127.0.0.1:9',
        CANCUOC_CLIENT_KEY_FILE: clientKeyFile,
        ...tlsEnv(server),
        REGISTRY_GRPC_HOST: '127.0.0.1',
        REGISTRY_GRPC_PORT: '0',
        LOG_LEVEL: 'info',
      },
      ['--migrate'],
    );
    try {
      const port = await registry.started;
      const listening = registry.lines.find((l) => l.msg === 'grpc.listening');
      assert.equal(listening?.transport, 'mtls');
      const address = `localhost:${port}`;
      const health = createClient(Health, address, { credentials: channelCredentialsFor(client) });
      const registryClient = createClient(RegistryService, address, {
        credentials: channelCredentialsFor(client),
      });
      const plaintext = createClient(Health, address);
      try {
        const reply = await health.check({ service: '' }, { timeoutMs: 10_000 });
        assert.equal(reply.status, HealthCheckResponse_ServingStatus.SERVING);
        await assert.rejects(
          registryClient.getCitizen({ personalId: '001188000001', purpose: 'test' }, { timeoutMs: 10_000 }),
          (e) => readErrorDetails(e)?.code === status.UNAUTHENTICATED,
        );
        await assert.rejects(
          plaintext.check({ service: '' }, { timeoutMs: 3_000 }),
          (e) => readErrorDetails(e)?.code === status.UNAVAILABLE,
        );
      } finally {
        health[Symbol.dispose]();
        registryClient[Symbol.dispose]();
        plaintext[Symbol.dispose]();
      }
      const exited = once(registry.child, 'exit');
      registry.child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, registry.stderr.text);
    } finally {
      registry.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves with its collector unreachable, logs JSON lines, and flushes telemetry on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'registry-main-'));
    const registry = serve({
      DATA_DIR: join(dataDir, 'registry'),
      REGISTRY_GRPC_HOST: '127.0.0.1',
      REGISTRY_GRPC_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc',
    });
    const { child, lines } = registry;
    try {
      const port = await registry.started;
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
      assert.equal(code, 0, registry.stderr.text);
      const startLine = lines.find((l) => l.msg === 'registry started')!;
      assert.equal(startLine.service, 'registry');
      assert.equal(startLine.traces, 'exported');
      assert.equal(startLine.level, 'info');
      // Embedded: plaintext on loopback, tokens from the development issuer beside the data.
      assert.equal(lines.find((l) => l.msg === 'grpc.listening')?.transport, 'plaintext-loopback');
      assert.ok(lines.some((l) => l.msg === 'registry stopping'));
      for (const line of registry.stderr.text.split('\n').filter(Boolean)) {
        assert.equal((JSON.parse(line) as { msg: string }).msg, 'telemetry.sdk_problem', line);
      }
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
