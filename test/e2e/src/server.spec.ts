/**
 * Server mode as SREs run it: the four services as separate processes (`main.js migrate`, then
 * `main.js`), each on its own fresh PostgreSQL database, with Redis and the Kafka-protocol broker;
 * every connection mutual TLS with a certificate per party from one CA, every token a JWT from an
 * OpenID Connect provider running as its own process — each service, station and agency its own
 * client with its own key, each person signed in with `cancuoc login`. The demo flow against them,
 * the agency reading its partner topic on Kafka, an operator's command with the CLI's session.
 * Tokens of the removed shared-secret scheme, and of the embedded platform's development issuer,
 * are refused by every service. Also: a service whose database is unreachable stops at start-up
 * with one clear line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { Kafka, logLevel } from 'kafkajs';
import { DevelopmentIssuer, identities, type Identity } from '@cancuoc/auth';
import { channelCredentialsFor, closeClient, createClient, grpcCode, status } from '@cancuoc/grpc';
import { Connection, DEMO_AGENCY, SERVICES, demoIdentities, runDemo } from '@cancuoc/platform';
import { CardProductionService, partner, partnerTopicsOf } from '@cancuoc/proto';
import { assertDemoKeptItsPromises, assertExactFields } from './support/checks.js';
import { cancuoc } from '@cancuoc/testing';
import { assertRefusedByEveryService, sharedSecretTokens } from './support/refusals.js';
import { setUpServerMode, type ServerMode, type ServerServices } from './support/server-platform.js';
import { startService } from '@cancuoc/testing';

const CITIZENS = Number(process.env.E2E_CITIZENS ?? 120);
const STATIONS = 2;
/** An operator who runs the operators' commands from a terminal with the CLI's own session. */
const OPERATOR: Identity = identities.administrator('e2e-operator');

describe('server mode (four processes, PostgreSQL, Redis, Kafka protocol, mutual TLS, OpenID provider)', () => {
  let folder: string;
  let server: ServerMode | undefined;
  let services: ServerServices | undefined;
  const parties = demoIdentities({ citizens: CITIZENS, stations: STATIONS });

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-e2e-server-'));
    server = await setUpServerMode(folder, {
      people: [...parties.people, OPERATOR],
      machines: parties.machines,
    });
  });

  after(async () => {
    await services?.stop();
    await server?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it(
    `runs the demo for ${CITIZENS} citizens across four processes; the agency's topic carries exactly its fields`,
    { timeout: 900_000 },
    async () => {
      const { trust, broker } = server!;
      services = await server!.startServices();
      const { addresses } = services;
      const connection = Connection.of(addresses, trust.credentials);
      try {
        const result = await runDemo(connection, {
          citizens: CITIZENS,
          seed: 23,
          concurrency: 12,
          stations: STATIONS,
        });
        assertDemoKeptItsPromises(result, CITIZENS);

        // The agency's own consumer: the latest record of each citizen on its compacted topic.
        const ids = result.citizens.map((c) => c.citizenId);
        const latest = new Map<string, partner.PartnerCitizen | undefined>();
        const kafka = new Kafka({
          clientId: 'e2e-agency',
          brokers: broker.bootstrapServers,
          logLevel: logLevel.NOTHING,
        });
        const consumer = kafka.consumer({ groupId: `${DEMO_AGENCY.agency}.e2e`, maxWaitTimeInMs: 100 });
        await consumer.connect();
        try {
          await consumer.subscribe({
            topic: partnerTopicsOf(DEMO_AGENCY.agency)[0].name,
            fromBeginning: true,
          });
          const complete = new Promise<void>((resolve) => {
            void consumer.run({
              eachMessage: async ({ message }) => {
                const id = message.key!.toString();
                latest.set(
                  id,
                  message.value ? fromBinary(partner.PartnerCitizenSchema, message.value) : undefined,
                );
                if (ids.every((i) => latest.get(i)?.card?.current?.documentNumber)) resolve();
              },
            });
          });
          await Promise.race([
            complete,
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('the agency topic did not carry every card')), 60_000),
            ),
          ]);
        } finally {
          await consumer.disconnect();
        }
        assertExactFields(latest, DEMO_AGENCY.fields, ids);

        // `cancuoc agency` on Kafka prints the same records, only the agency's fields in each.
        const printed = await cancuoc([
          'agency',
          '--brokers',
          broker.bootstrapServers.join(','),
          '--max',
          String(ids.length),
        ]);
        assert.equal(printed.code, 0, printed.stderr);
        const lines = printed.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.equal(lines.length, ids.length);
        const allowedKeys = new Set(['citizenId', 'sharedFields', 'name', 'birthDate', 'card']);
        for (const line of lines)
          assert.deepEqual(
            Object.keys(line).filter((k) => !allowedKeys.has(k)),
            [],
          );
        // Every record the agency ever received: never a field outside its subscription.
        for (const record of latest.values())
          if (record) for (const f of record.sharedFields) assert.ok(DEMO_AGENCY.fields.includes(f));

        // An operator's command from a terminal: the session of cancuoc login, the terminal's certificate.
        const operatorEnv = {
          CANCUOC_OIDC_ISSUER: trust.issuer,
          CANCUOC_SESSION_FILE: trust.sessionFile(OPERATOR),
          CANCUOC_TOKEN: '',
          ...trust.peopleTlsEnv,
        };
        const flags = SERVICES.flatMap((s) => [`--${s}`, addresses[s]!]);
        const stuck = await cancuoc(['stuck', ...flags], operatorEnv);
        assert.equal(stuck.code, 0, stuck.stderr);
        assert.match(stuck.stdout, /^SERVICE/m);
        // Development tokens are not for server mode: cancuoc token refuses.
        const minted = await cancuoc(['token', '--role', 'admin', '--audience', 'registry'], operatorEnv);
        assert.equal(minted.code, 1);
        assert.match(minted.stderr, /refused: CANCUOC_OIDC_ISSUER set/);

        // Only the provider's tokens: not the shared-secret scheme's, not a development issuer's.
        const channel = { credentials: channelCredentialsFor(trust.peopleTls) };
        const every = addresses;
        await assertRefusedByEveryService(
          every,
          (service) => sharedSecretTokens(service, trust.issuer),
          'tokens of the shared-secret scheme (HS256)',
          channel,
        );
        const development = await DevelopmentIssuer.inMemory();
        await assertRefusedByEveryService(
          every,
          async (service) => [await development.mint({ ...OPERATOR, audience: service })],
          'a token of a development issuer',
          channel,
        );
        // A station's own token is refused over a connection without the station's certificate.
        const stationTokens = trust.credentials.as(identities.encodingStation('demo-enc-1')).tokens;
        const elsewhere = createClient(CardProductionService, every['card-production'], {
          ...channel,
          metadata: async () => ({ authorization: `Bearer ${await stationTokens.token('card-production')}` }),
        });
        try {
          await assert.rejects(elsewhere.getTrustAnchors({}), (error: unknown) => {
            assert.equal(grpcCode(error), status.UNAUTHENTICATED);
            return true;
          });
        } finally {
          closeClient(elsewhere);
        }
      } finally {
        connection.close();
      }
      const stopping = services;
      services = undefined;
      for (const [service, code] of await stopping.stop())
        assert.equal(code, 0, `${service} stopped cleanly: ${stopping.processes.get(service)!.stderr()}`);
    },
  );

  it('stops at start-up with one clear line when the database server is unreachable', async () => {
    const env = { ...server!.envOf('registry'), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    await assert.rejects(startService('registry', env), (error: Error) => {
      assert.match(error.message, /registry exited with 1/);
      assert.match(error.message, /registry start-up failed/);
      return true;
    });
  });
});
