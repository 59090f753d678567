/**
 * Server mode as SREs run it: the four services as separate processes (`main.js migrate`, then
 * `main.js`), each on its own fresh PostgreSQL database, with Redis and the Kafka-protocol broker;
 * the demo flow against them, and the agency reading its partner topic on Kafka. Also: a service
 * whose database is unreachable stops at start-up with one clear line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { Kafka, logLevel } from 'kafkajs';
import { Connection, DEMO_AGENCY, SERVICES, envName, runDemo, type ServiceName } from '@cancuoc/platform';
import { partner, partnerTopicsOf } from '@cancuoc/proto';
import {
  TEST_REDIS_URL,
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type TestDatabase,
} from '@cancuoc/testing';
import { assertDemoKeptItsPromises, assertExactFields } from './support/checks.js';
import { cancuoc } from './support/cli.js';
import { migrateService, startService, type ServiceProcess } from './support/service-process.js';

const CITIZENS = Number(process.env.E2E_CITIZENS ?? 300);
const SECRET = randomBytes(32).toString('hex');

describe('server mode (four processes, PostgreSQL, Redis, Kafka protocol)', () => {
  let broker: KafkaBroker;
  let keyDir: string;
  const databases = new Map<ServiceName, TestDatabase>();
  const processes: ServiceProcess[] = [];

  const envOf = (service: ServiceName, peers: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'info',
    DATABASE_URL: databases.get(service)!.url,
    REDIS_URL: TEST_REDIS_URL,
    KAFKA_BROKERS: broker.bootstrapServers.join(','),
    KAFKA_IDEMPOTENT: 'false',
    KAFKA_MAX_WAIT_MS: '50',
    CANCUOC_AUTH_SECRET: SECRET,
    [`${envName(service)}_GRPC_HOST`]: '127.0.0.1',
    [`${envName(service)}_GRPC_PORT`]: '0',
    ENROLLMENT_MASTER_KEYS: randomBytes(32).toString('hex'),
    ENROLLMENT_REPROCESS_INTERVAL_MS: '100',
    CARD_PRODUCTION_KEY_DIR: keyDir,
    CARD_PRODUCTION_DEVELOPMENT_PKI: 'true',
    CARD_PRODUCTION_DATA_KEY: randomBytes(32).toString('base64'),
    CARD_PRODUCTION_REDIS_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
    DATA_SHARING_REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
    ...peers,
  });

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'cancuoc-e2e-keys-'));
    // Partner topics are provisioned by the deploy, never made by data sharing: here, up front.
    broker = await startKafkaBroker({
      topics: [
        ...catalogueTopics(),
        ...partnerTopicsOf(DEMO_AGENCY.agency).map((t) => ({ name: t.name, partitions: t.partitions })),
      ],
      brokers: 1,
    });
    for (const service of SERVICES)
      databases.set(service, await createTestDatabase(`e2e_${service.replace('-', '_')}`));
  });

  after(async () => {
    for (const p of processes.reverse()) await p.stop();
    await broker?.stop();
    for (const db of databases.values()) await db.drop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it(
    `runs the demo for ${CITIZENS} citizens across four processes; the agency's topic carries exactly its fields`,
    { timeout: 900_000 },
    async () => {
      const addresses: Partial<Record<ServiceName, string>> = {};
      const peers: Record<ServiceName, () => Record<string, string>> = {
        registry: () => ({}),
        enrollment: () => ({ ENROLLMENT_REGISTRY_ADDRESS: addresses.registry! }),
        'card-production': () => ({ CARD_PRODUCTION_ENROLLMENT_ADDRESS: addresses.enrollment! }),
        'data-sharing': () => ({}),
      };
      for (const service of SERVICES) {
        const env = envOf(service, peers[service]());
        await migrateService(service, env);
        const running = await startService(service, env);
        processes.push(running);
        addresses[service] = running.address;
      }
      const connection = Connection.of(addresses as Record<ServiceName, string>, SECRET);
      try {
        const result = await runDemo(connection, {
          citizens: CITIZENS,
          seed: 23,
          concurrency: 12,
          stations: 2,
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
      } finally {
        connection.close();
      }
      for (const p of processes.reverse().splice(0))
        assert.equal(await p.stop(), 0, `${p.service} stopped cleanly: ${p.stderr()}`);
    },
  );

  it('stops at start-up with one clear line when the database server is unreachable', async () => {
    const env = { ...envOf('registry', {}), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    await assert.rejects(startService('registry', env), (error: Error) => {
      assert.match(error.message, /registry exited with 1/);
      assert.match(error.message, /registry start-up failed/);
      return true;
    });
  });
});
