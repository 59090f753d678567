/**
 * The platform as a newcomer runs it: `startPlatform` (what `cancuoc start` and `npm start` run)
 * with PGlite, the in-process transport and in-memory caches, and the demo flow against it; then
 * the CLI as a child process: SIGTERM loses nothing and a restart continues from the data folder
 * (the register still holds every citizen seeded before it);
 * `--help` and bad usage exit as documented.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection, runDemo, startPlatform } from '@cancuoc/platform';
import { assertDemoKeptItsPromises } from './support/checks.js';
import { cancuoc, collect, waitForOutput } from './support/cli.js';

/**
 * A few hundred (300), as in server mode. Embedded, every service's database is a PGlite on the one
 * event loop all four share: about 0.8 s of that thread per citizen on the development VM (two
 * cores), so this is the suite's longest test; `npm test` starts it first. E2E_CITIZENS sets another
 * count.
 */
const CITIZENS = Number(process.env.E2E_CITIZENS ?? 300);
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
      const connection = Connection.of(platform.addresses, platform.authSecret);
      try {
        const result = await runDemo(connection, {
          citizens: CITIZENS,
          seed: 11,
          concurrency: 12,
          stations: 2,
        });
        assertDemoKeptItsPromises(result, CITIZENS);
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
    const addresses = addressesOf(banner);
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
    for (const name of ['start', 'seed', 'station', 'agency', 'demo'])
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
    const away = await cancuoc(['seed', '--citizens', '1', '--registry', '127.0.0.1:1'], {
      CANCUOC_AUTH_SECRET: 'x'.repeat(40),
    });
    assert.equal(away.code, 1);
    assert.equal(away.stderr.trim().split('\n').length, 1);
    assert.match(away.stderr, /registry is not reachable at 127\.0\.0\.1:1/);
  });
});
