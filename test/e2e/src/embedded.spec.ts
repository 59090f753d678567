/**
 * The platform as a newcomer runs it: `startPlatform` (what `cancuoc start` and `npm start` run)
 * with PGlite, the in-process transport and in-memory caches, and the demo flow against it, every
 * caller's token minted by the platform's development issuer; tokens of the removed shared-secret
 * scheme and of another issuer refused by every service. Then the CLI as a child process: plaintext
 * gRPC on loopback, said at start; `cancuoc token` for a call by hand; SIGTERM loses nothing and a
 * restart continues from the data folder (the register still holds every citizen seeded before it,
 * and the issuer's keys are the same); `--help` and bad usage exit as documented.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, developmentIssuerFile, identities } from '@cancuoc/auth';
import { closeClient, createClient } from '@cancuoc/grpc';
import { developmentCredentials } from '@cancuoc/operations';
import { Connection, runDemo, startPlatform } from '@cancuoc/platform';
import { CardProductionService } from '@cancuoc/proto';
import { assertDemoKeptItsPromises } from './support/checks.js';
import { cancuoc, collect, waitForOutput } from '@cancuoc/testing';
import { assertRefusedByEveryService, sharedSecretTokens } from './support/refusals.js';

/**
 * 120, as in server mode: enough for every station, every concurrency slot and every agency field
 * to be exercised many times over, within the CI's 15-minute aim. Embedded, every service's
 * database is a PGlite on the one event loop all four share: about 0.8-1.4 s of that thread per
 * citizen on the development VM (two cores), so this is the suite's longest test; `npm test`
 * starts it first. E2E_CITIZENS sets another count (300 for the longer run).
 */
const CITIZENS = Number(process.env.E2E_CITIZENS ?? 120);
const PORTS = [
  '--registry-port',
  '0',
  '--enrollment-port',
  '0',
  '--card-production-port',
  '0',
  '--data-sharing-port',
  '0',
];

describe('embedded platform (one process, PGlite)', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-e2e-'));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(
    `runs the demo for ${CITIZENS} citizens: each card encoded once, the agency gets exactly its fields`,
    { timeout: 900_000 },
    async () => {
      const platform = await startPlatform({
        dataDir: join(folder, 'in-process'),
        ports: { registry: 0, enrollment: 0, 'card-production': 0, 'data-sharing': 0 },
        env: { ...process.env, LOG_LEVEL: 'warn', ENROLLMENT_REPROCESS_INTERVAL_MS: '100' },
      });
      const connection = Connection.of(platform.addresses, developmentCredentials(platform.issuer));
      try {
        const result = await runDemo(connection, {
          citizens: CITIZENS,
          seed: 11,
          concurrency: 12,
          stations: 2,
        });
        assertDemoKeptItsPromises(result, CITIZENS);

        // Only the platform's issuer is trusted: no shared secret, no other development issuer.
        await assertRefusedByEveryService(
          platform.addresses,
          (service) => sharedSecretTokens(service, platform.issuer.issuer),
          'tokens of the shared-secret scheme (HS256)',
        );
        const stranger = await DevelopmentIssuer.inMemory();
        await assertRefusedByEveryService(
          platform.addresses,
          async (service) => [await stranger.mint({ ...identities.administrator('e2e'), audience: service })],
          'a token of another development issuer',
        );
      } finally {
        connection.close();
        await platform.stop();
      }
    },
  );

  it('cancuoc start stops on SIGTERM without losing anything, and a restart continues', async () => {
    const dataDir = join(folder, 'cli');
    const start = () => {
      const child = spawn(
        process.execPath,
        [
          join(import.meta.dirname, '../../../services/platform/bin/cancuoc.mjs'),
          'start',
          '--data-dir',
          dataDir,
          ...PORTS,
        ],
        {
          env: { ...process.env, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const running = waitForOutput(child.stderr, /Ctrl-C stops it/, 200_000);
      return { child, running };
    };
    const addressesOf = (text: string) => {
      const of = (s: string) => new RegExp(`${s}\\s+(\\S+:\\d+)`).exec(text)![1]!;
      return {
        registry: of('registry'),
        enrollment: of('enrollment'),
        'card-production': of('card-production'),
        'data-sharing': of('data-sharing'),
      };
    };

    const first = start();
    const banner = await first.running;
    assert.match(banner, /^gRPC: plaintext on loopback \(embedded development mode/m);
    assert.match(banner, /^Tokens: the development issuer .*issuer\.json/m);
    const addresses = addressesOf(banner);

    // cancuoc token: an administrator's token from the platform's issuer, for a call by hand.
    const minted = await cancuoc([
      'token',
      '--role',
      'admin',
      '--audience',
      'card-production',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(minted.code, 0, minted.stderr);
    const byHand = createClient(CardProductionService, addresses['card-production'], {
      metadata: () => ({ authorization: `Bearer ${minted.stdout.trim()}` }),
    });
    try {
      assert.equal((await byHand.getQueueDepth({})).queued, 0n);
    } finally {
      closeClient(byHand);
    }

    const flags = Object.entries(addresses).flatMap(([s, a]) => [`--${s}`, a]);
    const idsFile = join(folder, 'ids');
    const seeded = await cancuoc([
      'seed',
      '--citizens',
      '12',
      '--seed',
      '5',
      '--ids',
      idsFile,
      '--data-dir',
      dataDir,
      ...flags,
    ]);
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.match(seeded.stdout, /registered 12 citizens/);
    const exit = collect(first.child);
    first.child.kill('SIGTERM');
    const stopped = await exit;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /Stopped\./);

    const second = start();
    const restarted = addressesOf(await second.running);
    try {
      // The same 12 people again: the register knows every one (nothing lost), so all are refused as registered.
      const again = await cancuoc([
        'seed',
        '--citizens',
        '12',
        '--seed',
        '5',
        '--data-dir',
        dataDir,
        ...Object.entries(restarted).flatMap(([s, a]) => [`--${s}`, a]),
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /registered 0 citizens .*; 12 were already registered/);
      assert.equal((await readFile(idsFile, 'utf8')).trim().split('\n').length, 12);
    } finally {
      const done = collect(second.child);
      second.child.kill('SIGINT');
      assert.equal((await done).code, 0);
    }
  });

  it('answers --help, and refuses bad usage with exit 2 and a unreachable platform with exit 1', async () => {
    const help = await cancuoc(['--help']);
    assert.equal(help.code, 0);
    for (const name of ['start', 'seed', 'station', 'agency', 'demo', 'token', 'login'])
      assert.match(help.stdout, new RegExp(`\\n  ${name}\\s`));
    for (const name of ['start', 'seed', 'station', 'agency', 'demo']) {
      const own = await cancuoc([name, '--help']);
      assert.equal(own.code, 0);
      assert.match(own.stdout, new RegExp(`^cancuoc ${name}:`));
    }
    const unknown = await cancuoc(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'cancuoc: unknown command "frobnicate"\nTry: cancuoc --help\n');
    const badFlag = await cancuoc(['demo', '--citizens', 'many']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /^cancuoc demo: --citizens must be an integer/);
    const unknownFlag = await cancuoc(['seed', '--citizens', '1', '--colour']);
    assert.equal(unknownFlag.code, 2);
    const awayDir = join(folder, 'away');
    await DevelopmentIssuer.open(developmentIssuerFile(awayDir));
    const away = await cancuoc([
      'seed',
      '--citizens',
      '1',
      '--registry',
      '127.0.0.1:1',
      '--data-dir',
      awayDir,
    ]);
    assert.equal(away.code, 1);
    assert.equal(away.stderr.trim().split('\n').length, 1);
    assert.match(away.stderr, /registry is not reachable at 127\.0\.0\.1:1/);
    // No platform in the folder: one line naming the issuer file it looked for.
    const nowhere = join(folder, 'nowhere');
    const noIssuer = await cancuoc(['seed', '--citizens', '1', '--data-dir', nowhere]);
    assert.equal(noIssuer.code, 1);
    assert.equal(noIssuer.stderr.trim().split('\n').length, 1, noIssuer.stderr);
    assert.match(
      noIssuer.stderr,
      new RegExp(`^cancuoc seed: no development issuer at ${join(nowhere, 'issuer.json')}`),
    );
    // The removed shared secret is refused at start, not silently ignored.
    const secret = await cancuoc(['start', '--data-dir', join(folder, 'secret'), ...PORTS], {
      CANCUOC_AUTH_SECRET: 'x'.repeat(40),
    });
    assert.equal(secret.code, 1);
    assert.match(secret.stderr, /CANCUOC_AUTH_SECRET is no longer used/);
  });
});
