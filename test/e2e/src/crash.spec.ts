/**
 * Nothing left part-way unseen (issue 18): `cancuoc start` is killed with SIGKILL in the middle of a
 * seeded `cancuoc demo`, started again on the same data folder, and left to settle. The platform
 * finishes by itself what it can — pipeline steps, personalisation, events not yet consumed, leases
 * of stations that are gone — and every application and card the load started is then either
 * finished or listed by `cancuoc stuck --older-than 0s`, once, with a human's or a station's next
 * action; no card was encoded twice.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DevelopmentIssuer, developmentIssuerFile, identities, type Identity } from '@cancuoc/auth';
import { closeClient, createClient } from '@cancuoc/grpc';
import { CardProductionService, EnrollmentService, operations } from '@cancuoc/proto';
import { developmentCredentials } from '@cancuoc/operations';
import { Connection } from '@cancuoc/platform';
import { cancuoc, spawnCancuoc, type RunningCli } from '@cancuoc/testing';
import { assertSeedFinished } from './support/seed.js';
import {
  assertCompleteOrListed,
  settled,
  unfinishedWork,
  type PlatformReaders,
} from './support/unfinished.js';

/** Few, so the whole file stays well inside the suite's five minutes a file. */
const CITIZENS = Number(process.env.E2E_CRASH_CITIZENS ?? 20);
/** The demo's enrollment stations: 20 citizens each. */
const STATIONS = Array.from(
  { length: Math.ceil(CITIZENS / 20) },
  (_, i) => `demo-enrol-${String(i + 1).padStart(2, '0')}`,
);
type Addresses = Record<'registry' | 'enrollment' | 'card-production' | 'data-sharing', string>;
/** `--<service>-port` of each: 0 (a free one), or the port of `addresses` (the same addresses again). */
const portFlags = (addresses?: Addresses) =>
  (['registry', 'enrollment', 'card-production', 'data-sharing'] as const).flatMap((s) => [
    `--${s}-port`,
    addresses ? addresses[s].split(':').pop()! : '0',
  ]);

function addressesOf(banner: string): Addresses {
  const of = (s: string) => new RegExp(`${s}\\s+(\\S+:\\d+)`).exec(banner)![1]!;
  return {
    registry: of('registry'),
    enrollment: of('enrollment'),
    'card-production': of('card-production'),
    'data-sharing': of('data-sharing'),
  };
}

async function start(
  dataDir: string,
  at?: Addresses,
): Promise<{ platform: RunningCli; addresses: Addresses }> {
  const platform = spawnCancuoc(['start', '--data-dir', dataDir, ...portFlags(at)], {
    LOG_LEVEL: 'warn',
    // A station that is gone holds its lease this long before the job goes back to the queue.
    CARD_PRODUCTION_LEASE_SECONDS: '5',
  });
  await platform.until('stderr', /Ctrl-C stops it/, 200_000);
  return { platform, addresses: addressesOf(platform.stderr()) };
}

/** Clients of the platform's services, with tokens of its development issuer. */
function readersOf(addresses: Addresses, issuer: DevelopmentIssuer) {
  const as = (identity: Identity, audience: string) => async () => ({
    authorization: `Bearer ${await issuer.mint({ ...identity, audience })}`,
  });
  const admin = identities.administrator('e2e-crash');
  const readers: PlatformReaders = {
    enrollmentOps: createClient(operations.OperationsService, addresses.enrollment, {
      metadata: as(admin, 'enrollment'),
    }),
    cardProductionOps: createClient(operations.OperationsService, addresses['card-production'], {
      metadata: as(admin, 'card-production'),
    }),
    enrollment: createClient(EnrollmentService, addresses.enrollment, {
      metadata: as(identities.supervisor('e2e-crash-sup'), 'enrollment'),
    }),
    cardProduction: createClient(CardProductionService, addresses['card-production'], {
      metadata: as(admin, 'card-production'),
    }),
  };
  return { readers, close: () => Object.values(readers).forEach((c) => closeClient(c)) };
}

describe('crash: SIGKILL of the embedded platform mid-demo', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-crash-'));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(
    `leaves every one of ${CITIZENS} citizens finished or listed by cancuoc stuck`,
    { timeout: 600_000 },
    async () => {
      const dataDir = join(folder, 'platform');
      const t0 = Date.now();
      const ms: Record<string, number> = {};
      let partWayAtKill = 0;
      const first = await start(dataDir);
      ms.start = Date.now() - t0;
      const issuer = await DevelopmentIssuer.open(developmentIssuerFile(dataDir));
      const flags = (a: Addresses) => Object.entries(a).flatMap(([s, address]) => [`--${s}`, address]);
      const demo = spawnCancuoc([
        'demo',
        '--citizens',
        String(CITIZENS),
        '--seed',
        '18',
        '--concurrency',
        '6',
        '--data-dir',
        dataDir,
        ...flags(first.addresses),
      ]);
      // Mid-load: several citizens part of the way, in enrollment and in card production.
      const watch = readersOf(first.addresses, issuer);
      try {
        const deadline = Date.now() + 300_000;
        for (;;) {
          const open = await unfinishedWork(watch.readers);
          const cards = open.filter((i) => i.kind === operations.WorkKind.CARD).length;
          if (cards >= 1 && open.length - cards >= 3 && open.length >= Math.min(6, CITIZENS / 2)) {
            partWayAtKill = open.length;
            break;
          }
          if (Date.now() > deadline) assert.fail(`the demo never had citizens part-way:\n${demo.stderr()}`);
          await sleep(100);
        }
      } catch (error) {
        demo.child.kill('SIGKILL');
        first.platform.child.kill('SIGKILL');
        throw error;
      } finally {
        watch.close();
      }
      ms.load = Date.now() - t0 - ms.start;
      const killed = first.platform.exit;
      const killedAt = Date.now();
      first.platform.child.kill('SIGKILL');
      assert.equal((await killed).code, null, 'killed, not stopped');
      // The demo, a process of its own, finds the platform gone: it says so and stops promptly.
      const gone = await Promise.race([
        demo.exit,
        sleep(60_000).then(() => {
          demo.child.kill('SIGKILL');
          assert.fail(`the demo did not stop within 60 s of the platform's SIGKILL:\n${demo.stderr()}`);
        }),
      ]);
      ms.demoStopped = Date.now() - killedAt;
      assert.equal(gone.code, 1, gone.stderr);
      const said = gone.stderr.split('\n').find((l) => l.includes('platform not reachable at'));
      assert.ok(said, `the demo said the platform is not reachable:\n${gone.stderr}`);
      assert.ok(ms.demoStopped < 30_000, `stopped ${ms.demoStopped} ms after the SIGKILL: ${said}`);
      const again = /run `cancuoc (demo [^`]+)` again to finish them$/.exec(said)?.[1]?.split(' ');
      assert.ok(again, said);
      assert.deepEqual(again.slice(again.indexOf('--seed'), again.indexOf('--seed') + 2), ['--seed', '18']);

      // Started again on the same data folder and the same addresses, as its operator would.
      const restarting = Date.now();
      const second = await start(dataDir, first.addresses);
      ms.restart = Date.now() - restarting;
      const { readers, close } = readersOf(second.addresses, issuer);
      try {
        const left = await settled(readers, 120_000);
        ms.settle = Date.now() - restarting - ms.restart;
        const accounting = await assertCompleteOrListed(readers, STATIONS, left);
        assert.ok(accounting.applications > 0 && accounting.cards > 0, JSON.stringify(accounting));
        // Every one left is a human's or a station's move, not the platform's.
        for (const item of left) assert.notEqual(item.actor, operations.Actor.PLATFORM);

        // What the operator sees: the same ids, each once, from both services.
        const stuck = await cancuoc([
          'stuck',
          '--older-than',
          '0s',
          '--data-dir',
          dataDir,
          ...flags(second.addresses),
        ]);
        assert.equal(stuck.code, 0, stuck.stderr);
        const rows = stuck.stdout.trim().split('\n').slice(1);
        assert.equal(rows.length, left.length, stuck.stdout);
        for (const item of left) assert.equal(rows.filter((r) => r.includes(item.id)).length, 1, item.id);

        // The command the demo printed, run again: it finishes every citizen of the seed, each once.
        const rerunning = Date.now();
        const rerun = await cancuoc(again);
        ms.rerun = Date.now() - rerunning;
        assert.equal(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
        const resumed = Number(/resumed\s+(\d+) left part of the way/.exec(rerun.stdout)?.[1] ?? 0);
        assert.ok(resumed > 0 || accounting.listed === 0, rerun.stdout);
        const connection = Connection.of(second.addresses, developmentCredentials(issuer));
        try {
          await assertSeedFinished(connection, { citizens: CITIZENS, seed: 18 });
        } finally {
          connection.close();
        }
        assert.deepEqual(await unfinishedWork(readers), [], 'nothing left part-way after the rerun');
        process.stdout.write(
          `# crash: ${JSON.stringify({ ...accounting, partWayAtKill, resumed, demoSaid: said, ms })}\n`,
        );
      } finally {
        close();
        const stopped = second.platform.exit;
        second.platform.child.kill('SIGTERM');
        assert.equal((await stopped).code, 0);
      }
    },
  );
});
