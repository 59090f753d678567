/**
 * Nothing left part-way unseen, in server mode (issue 18): the four services as separate processes
 * with PostgreSQL, Redis, the Kafka-protocol broker, mutual TLS and the OpenID provider, under a
 * seeded demo load. Each service in turn — registry, enrollment, card production, data sharing — is
 * killed with SIGKILL while citizens are part of the way, and started again as its pod would be
 * (same database, keys and address). The demo stops saying which address is not reachable; once the
 * restarted service has settled, every application and card of the load is finished or listed by
 * ListUnfinishedWork and `cancuoc stuck --older-than 0s`, once, with a human's or a station's next
 * action, one card per application, none encoded twice. The next demo run with the seed takes the
 * load on; the last one finishes every citizen, and the agency holds each with exactly its fields.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { DescService } from '@bufbuild/protobuf';
import { identities, type Identity } from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  createClient,
  grpcCode,
  status,
  type GrpcClient,
} from '@cancuoc/grpc';
import {
  Connection,
  DEMO_SUPERVISOR,
  PlatformUnreachable,
  SERVICES,
  demoIdentities,
  enrollmentStationOf,
  runDemo,
  type DemoResult,
  type ServiceName,
} from '@cancuoc/platform';
import { CardProductionService, EnrollmentService, operations } from '@cancuoc/proto';
import { cancuoc } from '@cancuoc/testing';
import { assertSeedFinished } from './support/seed.js';
import { setUpServerMode, type ServerMode, type ServerServices } from './support/server-platform.js';
import {
  assertCompleteOrListed,
  settled,
  unfinishedWork,
  type Accounting,
  type PlatformReaders,
} from './support/unfinished.js';

const CITIZENS = Number(process.env.E2E_CRASH_CITIZENS ?? 24);
const SEED = 418;
/** Encoding stations the demo runs; enrollment stations are the demo's own, 20 citizens each. */
const STATIONS = 2;
const ENROLLMENT_STATIONS = [...new Set(Array.from({ length: CITIZENS }, (_, i) => enrollmentStationOf(i)))];
/** The operator who reads the unfinished work, with ListUnfinishedWork and `cancuoc stuck`. */
const OPERATOR: Identity = identities.administrator('e2e-crash-operator');

/**
 * A client of `service` as `identity`: its own token from the provider, the terminal's certificate;
 * on a channel of its own, so that one made after a restart is not handed the connection a client
 * made before the kill is still backing off on.
 */
function clientOf<S extends DescService>(
  server: ServerMode,
  addresses: Readonly<Record<ServiceName, string>>,
  descriptor: S,
  service: ServiceName,
  identity: Identity,
): GrpcClient<S> {
  const { tokens, tls } = server.trust.credentials.as(identity);
  return createClient(descriptor, addresses[service], {
    credentials: channelCredentialsFor(tls),
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    metadata: async () => ({ authorization: `Bearer ${await tokens.token(service)}` }),
  });
}

function readersOf(server: ServerMode, addresses: Readonly<Record<ServiceName, string>>) {
  const readers: PlatformReaders = {
    enrollmentOps: clientOf(server, addresses, operations.OperationsService, 'enrollment', OPERATOR),
    cardProductionOps: clientOf(server, addresses, operations.OperationsService, 'card-production', OPERATOR),
    enrollment: clientOf(server, addresses, EnrollmentService, 'enrollment', DEMO_SUPERVISOR),
    cardProduction: clientOf(server, addresses, CardProductionService, 'card-production', OPERATOR),
  };
  return { readers, close: () => Object.values(readers).forEach((c) => closeClient(c)) };
}

/**
 * Waits until the operator's new clients get an answer: the first connection to a service that has
 * just started again may be reset (UNAVAILABLE) before the next one is taken.
 */
async function answering(readers: PlatformReaders): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await unfinishedWork(readers);
      return;
    } catch (error) {
      if (grpcCode(error) !== status.UNAVAILABLE || Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

describe('crash: SIGKILL of each server-mode service in turn mid-demo', () => {
  let folder: string;
  let server: ServerMode | undefined;
  let services: ServerServices | undefined;
  const parties = demoIdentities({ citizens: CITIZENS, stations: STATIONS });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-crash-server-'));
    server = await setUpServerMode(
      folder,
      { people: [...parties.people, OPERATOR], machines: parties.machines },
      // A station that is gone holds its lease this long before the job goes back to the queue.
      { CARD_PRODUCTION_LEASE_SECONDS: '5' },
    );
  });

  after(async () => {
    await services?.stop();
    await server?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(
    `leaves every one of ${CITIZENS} citizens finished or listed after each service's SIGKILL`,
    { timeout: 600_000 },
    async (t) => {
      const t0 = Date.now();
      services = await server!.startServices();
      const { addresses } = services;
      const { trust } = server!;
      // The operator's clients, made again after each restart.
      let watch = readersOf(server!, addresses);
      const operatorEnv = {
        CANCUOC_OIDC_ISSUER: trust.issuer,
        CANCUOC_SESSION_FILE: trust.sessionFile(OPERATOR),
        CANCUOC_TOKEN: '',
        ...trust.peopleTlsEnv,
      };
      const flags = SERVICES.flatMap((s) => [`--${s}`, addresses[s]]);
      const demo = (connection: Connection) =>
        runDemo(connection, { citizens: CITIZENS, seed: SEED, concurrency: 6, stations: STATIONS });
      const figures: Record<string, unknown>[] = [];
      try {
        for (const victim of SERVICES) {
          const began = Date.now();
          // What the kills before left part-way: this run takes it on; the kill waits for its own.
          const before = new Set((await unfinishedWork(watch.readers)).map((i) => i.id));
          const connection = Connection.of(addresses, trust.credentials);
          const run: Promise<{ result?: DemoResult; error?: unknown }> = demo(connection).then(
            (result) => ({ result }),
            (error: unknown) => ({ error }),
          );
          let ran: { result?: DemoResult; error?: unknown } | undefined;
          void run.then((r) => (ran = r));
          // Mid-load: citizens part of the way, in enrollment and in card production.
          let partWay = 0;
          for (;;) {
            const open = await unfinishedWork(watch.readers);
            const cards = open.filter((i) => i.kind === operations.WorkKind.CARD).length;
            const fresh = open.filter((i) => !before.has(i.id)).length;
            if (fresh >= 2 && cards >= 1 && open.length - cards >= 1) {
              partWay = open.length;
              break;
            }
            if (ran)
              assert.fail(`the demo ended before ${victim} could be killed mid-load: ${String(ran.error)}`);
            await sleep(100);
          }
          const killedAt = Date.now();
          await services.kill(victim);
          let stoppedIn: number | undefined;
          if (victim !== 'data-sharing') {
            // The demo calls it all along: it stops at once, naming the address not reachable.
            const { error } = await run;
            stoppedIn = Date.now() - killedAt;
            assert.ok(error instanceof PlatformUnreachable, `${victim}: ${String(error)}`);
            assert.equal(error.where, addresses[victim], error.message);
            assert.ok(stoppedIn < 30_000, `the demo stopped ${stoppedIn} ms after ${victim}'s SIGKILL`);
          } else {
            // Nobody calls it while citizens go through: its events wait on Kafka meanwhile.
            await sleep(2_000);
          }
          const restarting = Date.now();
          // Data sharing restarts while the demo goes on (its consumer waits out the dead member's
          // Kafka session first); the others once the demo has stopped.
          const restartMs = await Promise.all([services.restart(victim), run]).then(
            () => Date.now() - restarting,
          );
          watch.close();
          watch = readersOf(server!, addresses);
          const { readers } = watch;
          await answering(readers);
          // Data sharing's run finishes, or stops if it asked the agency's view while it was away.
          const { error } = await run;
          if (error !== undefined && !(error instanceof PlatformUnreachable)) throw error;
          connection.close();

          const settling = Date.now();
          const left = await settled(readers, 120_000);
          const settleMs = Date.now() - settling;
          const accounting: Accounting = await assertCompleteOrListed(readers, ENROLLMENT_STATIONS, left);
          assert.ok(accounting.applications > 0 && accounting.cards > 0, JSON.stringify(accounting));
          // Every one left is a human's or a station's move, not the platform's.
          for (const item of left) assert.notEqual(item.actor, operations.Actor.PLATFORM, item.id);
          // What the operator sees from a terminal: the same ids, each once, from both services.
          const stuck = await cancuoc(['stuck', '--older-than', '0s', ...flags], operatorEnv);
          assert.equal(stuck.code, 0, stuck.stderr);
          const rows = stuck.stdout.trim().split('\n').slice(1).filter(Boolean);
          assert.equal(rows.length, left.length, stuck.stdout);
          for (const item of left) assert.equal(rows.filter((r) => r.includes(item.id)).length, 1, item.id);
          const figure = {
            victim,
            partWay,
            ...accounting,
            stoppedIn,
            restartMs,
            settleMs,
            phaseMs: Date.now() - began,
          };
          figures.push(figure);
          t.diagnostic(JSON.stringify(figure));
        }

        // The demo with the seed once more: every citizen the kills left part-way is finished.
        const connection = Connection.of(addresses, trust.credentials);
        try {
          const result = await demo(connection);
          assert.equal(result.blocked.size, 0, JSON.stringify([...result.blocked]));
          assert.equal(result.citizens.length + result.alreadyRegistered, CITIZENS);
          await assertSeedFinished(connection, { citizens: CITIZENS, seed: SEED });
          assert.deepEqual(
            await unfinishedWork(watch.readers),
            [],
            'nothing part-way once the demo finished',
          );
          process.stdout.write(
            `# crash-server: ${JSON.stringify({ figures, resumed: result.resumed, totalMs: Date.now() - t0 })}\n`,
          );
        } finally {
          connection.close();
        }
      } finally {
        watch.close();
      }
      const stopping = services;
      services = undefined;
      for (const [service, code] of await stopping.stop())
        assert.equal(code, 0, `${service} stopped cleanly: ${stopping.processes.get(service)!.stderr()}`);
    },
  );
});
