/**
 * The embedded platform on mutual TLS (architecture decision 9): `cancuoc start --tls` issues each
 * service its own certificate from a development CA in the data folder and says so; `cancuoc demo`,
 * unchanged, issues its callers theirs from the same CA (a station's and the agency's naming their
 * token's subject); a plaintext client and a station presenting another station's certificate are
 * refused; one certificate for four services (`CANCUOC_TLS_*`) is refused at start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { identities } from '@cancuoc/auth';
import {
  CA_KEY_FILE,
  closeClient,
  createClient,
  grpcCode,
  readErrorDetails,
  status,
  type ClientOptions,
} from '@cancuoc/grpc';
import { CardProductionService } from '@cancuoc/proto';
import { COMMANDS } from './cli/commands/index.js';
import { Connection } from './cli/connection.js';
import { runCli } from './cli/registry.js';
import { SERVICES, servedNames, usesMutualTls, type ServiceName } from './platform.js';

const CANCUOC_BIN = fileURLToPath(new URL('../bin/cancuoc.mjs', import.meta.url));
const PORTS = SERVICES.flatMap((s) => [`--${s}-port`, '0']);
const ENV = { ...process.env, LOG_LEVEL: 'warn', ENROLLMENT_REPROCESS_INTERVAL_MS: '100' };

/** `cancuoc …args` in this process, until `signal` (the start command runs until then). */
function cancuocHere(argv: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal) {
  let stderr = '';
  const seen: { pattern: RegExp; resolve: () => void }[] = [];
  const code = runCli(
    argv,
    {
      stdout: () => undefined,
      stderr: (text) => {
        stderr += text;
        for (const w of seen.filter((w) => w.pattern.test(stderr))) w.resolve();
      },
      env,
      signal,
    },
    COMMANDS,
  );
  const until = (pattern: RegExp) =>
    pattern.test(stderr)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => seen.push({ pattern, resolve })),
          code.then((c) => assert.fail(`exited ${c} before ${pattern}: ${stderr}`)),
        ]);
  return { code, until, stderr: () => stderr };
}

/** `cancuoc …args` as its own process (`npx cancuoc`), to its end; a failure shows its stack. */
function cancuocBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CANCUOC_BIN, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', CANCUOC_DEBUG: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the embedded platform on mutual TLS', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-platform-mtls-'));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('is chosen by --tls, a host beyond loopback or a CA in the folder; CANCUOC_TLS_* is refused', async () => {
    const plain = join(folder, 'plain');
    assert.equal(usesMutualTls({ host: '127.0.0.1', dataDir: plain }), false);
    assert.equal(usesMutualTls({ host: 'localhost', dataDir: plain }), false);
    assert.equal(usesMutualTls({ tls: true, host: '127.0.0.1', dataDir: plain }), true);
    assert.equal(usesMutualTls({ host: '0.0.0.0', dataDir: plain }), true);
    assert.equal(usesMutualTls({ host: '192.0.2.7', dataDir: plain }), true);
    const once = join(folder, 'once-on-tls');
    await mkdir(join(once, 'ca'), { recursive: true });
    await writeFile(join(once, 'ca', CA_KEY_FILE), '');
    assert.equal(
      usesMutualTls({ host: '127.0.0.1', dataDir: once }),
      true,
      'a folder with a CA stays on TLS',
    );

    // What the services' certificates name: what a client may dial.
    assert.ok(servedNames('127.0.0.1').ipAddresses.includes('127.0.0.1'));
    assert.ok(servedNames('127.0.0.1').dnsNames.includes('localhost'));
    assert.ok(servedNames('192.0.2.7').ipAddresses.includes('192.0.2.7'));
    assert.ok(servedNames('cancuoc.example').dnsNames.includes('cancuoc.example'));
    const everywhere = servedNames('0.0.0.0').ipAddresses;
    for (const address of Object.values(networkInterfaces()).flat())
      if (address && !address.address.includes('%')) assert.ok(everywhere.includes(address.address));

    const refused = join(folder, 'one-certificate');
    const run = cancuocHere(['start', '--data-dir', refused, ...PORTS], {
      ...ENV,
      CANCUOC_TLS_CERT_FILE: '/c.pem',
      CANCUOC_TLS_KEY_FILE: '/k.pem',
      CANCUOC_TLS_CA_FILE: '/ca.pem',
    });
    assert.equal(await run.code, 1);
    const lines = run.stderr().trim().split('\n');
    assert.match(
      lines.at(-1)!,
      /^cancuoc start: CANCUOC_TLS_\* is one certificate, and each of .* needs its own/,
    );
    assert.equal(existsSync(join(refused, 'issuer.json')), false, 'refused before anything is made');
  });

  it('runs cancuoc demo over mutual TLS, each party with its own certificate; refuses plaintext and a borrowed certificate', async () => {
    const dataDir = join(folder, 'platform');
    const stop = new AbortController();
    const start = cancuocHere(['start', '--tls', '--data-dir', dataDir, ...PORTS], ENV, stop.signal);
    let connection: Connection | undefined;
    try {
      await start.until(/Ctrl-C stops it/);
      const banner = start.stderr();
      assert.ok(banner.includes(`\ngRPC: mutual TLS (development CA in ${join(dataDir, 'ca')})`), banner);
      const addresses = Object.fromEntries(
        SERVICES.map((s) => [s, new RegExp(`^  ${s}\\s+(\\S+:\\d+)`, 'm').exec(banner)![1]!]),
      ) as Record<ServiceName, string>;
      for (const service of SERVICES) {
        const certificate = new X509Certificate(await readFile(join(dataDir, 'tls', service, 'tls.crt')));
        assert.match(certificate.subjectAltName!, new RegExp(`URI:cancuoc:service:${service}\\b`));
        assert.match(certificate.subjectAltName!, /IP Address:127\.0\.0\.1/);
      }

      // The demo as a person runs it, in its own process: its stations and its agency take their
      // certificates from the CA in the folder (exit 0: every card encoded once, delivered exactly).
      const flags = SERVICES.flatMap((s) => [`--${s}`, addresses[s]]);
      const demo = await cancuocBin([
        'demo',
        '--citizens',
        '3',
        '--seed',
        '3',
        '--stations',
        '2',
        '--data-dir',
        dataDir,
        ...flags,
      ]);
      assert.equal(demo.code, 0, demo.stderr);
      const [, encoded, once] = /cards encoded\s+(\d+) \((\d+) encoded exactly once/.exec(demo.stdout) ?? [];
      assert.ok(Number(encoded) >= 1 && once === encoded, demo.stdout);
      assert.doesNotMatch(demo.stderr, /Warning/);
      for (const subject of ['station-demo-enc-1', 'station-demo-enc-2', 'agency-demo-bhxh'])
        assert.ok(existsSync(join(dataDir, 'tls', 'clients', subject, 'tls.crt')), subject);

      // Callers as the CLI makes them, from the folder's CA.
      connection = Connection.from({ ...addresses, 'data-dir': dataDir }, {});
      const first = identities.encodingStation('demo-enc-1');
      const second = identities.encodingStation('demo-enc-2');
      await connection.prepare([first, second]);
      const stationClient = (options: ClientOptions) =>
        createClient(CardProductionService, addresses['card-production'], {
          ...options,
          defaultTimeoutMs: 15_000,
          metadata: async () => ({
            authorization: `Bearer ${await connection!.tokens(first).token('card-production')}`,
          }),
        });
      const own = stationClient({ credentials: connection.channel(connection.as(first).tls) });
      const borrowed = stationClient({ credentials: connection.channel(connection.as(second).tls) });
      const plaintext = stationClient({});
      try {
        assert.ok((await own.getTrustAnchors({})).cscaCertificates.length > 0);
        await assert.rejects(borrowed.getTrustAnchors({}), (error: unknown) => {
          const details = readErrorDetails(error);
          assert.equal(details?.code, status.UNAUTHENTICATED);
          assert.equal(details?.errorInfo?.reason, 'CERTIFICATE_MISMATCH');
          return true;
        });
        await assert.rejects(plaintext.getTrustAnchors({}), (error: unknown) => {
          assert.equal(grpcCode(error), status.UNAVAILABLE, String(error));
          return true;
        });
      } finally {
        for (const client of [own, borrowed, plaintext]) closeClient(client);
      }
    } finally {
      connection?.close();
      stop.abort();
      assert.equal(await start.code, 0, start.stderr());
    }
  });
});
