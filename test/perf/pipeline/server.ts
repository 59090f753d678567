/**
 * Server mode as a deployment runs it, started fresh for each measurement: the four services'
 * executables as processes of their own (the end-to-end harness's `migrateService` and
 * `startService`), each on a new database of the local PostgreSQL, with Redis, the Kafka-protocol
 * test broker, mutual TLS with a certificate per party and tokens from the test OpenID provider
 * (test/perf/support/trust.ts: every party its own client, so nobody signs in).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { Identity, TokenSource } from '@cancuoc/auth';
import { migrateService, startService, type ServiceProcess } from '@cancuoc/testing';
import type { TlsFiles } from '@cancuoc/grpc';
import {
  Connection,
  DEMO_AGENCY,
  SERVICES,
  demoIdentities,
  envName,
  type ServiceName,
} from '@cancuoc/platform';
import { partnerTopicsOf } from '@cancuoc/proto';
import {
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type KafkaTopicSpec,
  type TestDatabase,
} from '@cancuoc/testing';
import type { BenchTrust } from '../support/trust.js';

type Credentials = Parameters<typeof Connection.of>[1];

/**
 * The callers of the demo as the CLI's credentials: each its own client at the provider and its own
 * certificate, registered up front (`as` is synchronous).
 */
export async function benchCredentials(
  trust: BenchTrust,
  parties: readonly Identity[],
): Promise<Credentials> {
  const callers = new Map<string, { tokens: TokenSource; tls: TlsFiles }>();
  for (const party of parties) {
    const { tokens } = await trust.caller(party);
    callers.set(party.subject, { tokens, tls: (await trust.files(party)).tls });
  }
  const first = callers.values().next().value!;
  return {
    source: `the test OpenID provider ${trust.issuer}`,
    perIdentity: true,
    tls: first.tls,
    as(identity) {
      const caller = callers.get(identity.subject);
      if (!caller) throw new Error(`${identity.subject} is not one of the benchmark's parties`);
      return caller;
    },
  };
}

/** Every party the demo acts as for `citizens` and `stations`. */
export function demoParties(citizens: number, stations: number): Identity[] {
  const { people, machines } = demoIdentities({ citizens, stations });
  return [...people, ...machines];
}

/** The topics a deployment provisions: the catalogue's and the demo agency's partner topics. */
export function provisionedTopics(): KafkaTopicSpec[] {
  return [
    ...catalogueTopics(),
    ...partnerTopicsOf(DEMO_AGENCY.agency).map((t) => ({ name: t.name, partitions: t.partitions })),
  ];
}

export interface ServerPlatform {
  readonly connection: Connection;
  /** Each service's process id. */
  readonly pids: ReadonlyMap<ServiceName, number>;
  readonly databases: ReadonlyMap<ServiceName, TestDatabase>;
  readonly broker: KafkaBroker;
  /** Transactions each service's database committed so far (pg_stat_database.xact_commit). */
  commits(): Promise<Map<ServiceName, number>>;
  /** Records produced to every provisioned topic so far (the partitions' end offsets: a fresh broker). */
  records(): Promise<number>;
  /** SIGTERM to each service (their connections close, so their statistics are flushed). */
  stopServices(): Promise<void>;
  /** Everything else: the broker, the databases, the folder. */
  dispose(): Promise<void>;
}

/** Starts the four services on fresh databases and a fresh broker; `stations` encoding stations. */
export async function startServerPlatform(
  trust: BenchTrust,
  options: { readonly citizens: number; readonly stations: number; readonly kafkaMaxWaitMs: number },
): Promise<ServerPlatform> {
  const folder = await mkdtemp(join(tmpdir(), 'cancuoc-bench-pipeline-'));
  const keyDir = join(folder, 'card-production-keys');
  await mkdir(keyDir, { mode: 0o700 });
  const topics = provisionedTopics();
  const broker = await startKafkaBroker({ topics, brokers: 1 });
  const databases = new Map<ServiceName, TestDatabase>();
  const processes: ServiceProcess[] = [];
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'bench-pipeline' });
  const kafka = new Kafka({
    clientId: 'bench-pipeline',
    brokers: broker.bootstrapServers,
    logLevel: logLevel.NOTHING,
  });
  const kafkaAdmin = kafka.admin();
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const dispose = async () => {
    for (const p of processes.splice(0).reverse()) await p.stop();
    await kafkaAdmin.disconnect().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await broker.stop().catch(() => broker.kill());
    for (const db of databases.values()) await db.drop();
    await rm(folder, { recursive: true, force: true });
  };
  try {
    await admin.connect();
    await kafkaAdmin.connect();
    for (const service of SERVICES)
      databases.set(service, await createTestDatabase(`bench_${service.replace('-', '_')}`));
    const addresses: Partial<Record<ServiceName, string>> = {};
    const peers: Record<ServiceName, () => Record<string, string>> = {
      registry: () => ({}),
      enrollment: () => ({ ENROLLMENT_REGISTRY_ADDRESS: addresses.registry! }),
      'card-production': () => ({ CARD_PRODUCTION_ENROLLMENT_ADDRESS: addresses.enrollment! }),
      'data-sharing': () => ({}),
    };
    for (const service of SERVICES) {
      // The services' own defaults, but for what a deployment sets and the test broker needs.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        OTEL_SDK_DISABLED: 'true',
        LOG_LEVEL: 'info',
        DATABASE_URL: databases.get(service)!.url,
        REDIS_URL: TEST_REDIS_URL,
        KAFKA_BROKERS: broker.bootstrapServers.join(','),
        // The mock broker has no idempotent producer; and it holds an empty fetch for the whole wait
        // even when records arrive meanwhile (a real broker answers at once), so a short wait.
        KAFKA_IDEMPOTENT: 'false',
        KAFKA_MAX_WAIT_MS: String(options.kafkaMaxWaitMs),
        ...(await trust.serviceEnv(service)),
        [`${envName(service)}_GRPC_HOST`]: '127.0.0.1',
        [`${envName(service)}_GRPC_PORT`]: '0',
        ENROLLMENT_MASTER_KEYS: randomBytes(32).toString('hex'),
        CARD_PRODUCTION_KEY_DIR: keyDir,
        CARD_PRODUCTION_DEVELOPMENT_PKI: 'true',
        CARD_PRODUCTION_DATA_KEY: randomBytes(32).toString('base64'),
        CARD_PRODUCTION_REDIS_PREFIX: prefix,
        DATA_SHARING_REDIS_KEY_PREFIX: prefix,
        ...peers[service](),
        // A profile of each service, say: BENCH_SERVICE_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/p'.
        ...(process.env.BENCH_SERVICE_NODE_OPTIONS
          ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }
          : {}),
      };
      await migrateService(service, env);
      const running = await startService(service, env);
      processes.push(running);
      addresses[service] = running.address;
    }
    const credentials = await benchCredentials(trust, demoParties(options.citizens, options.stations));
    const connection = Connection.of(addresses as Record<ServiceName, string>, credentials);
    return {
      connection,
      pids: new Map(processes.map((p) => [p.service as ServiceName, p.child.pid!])),
      databases,
      broker,
      async commits() {
        const { rows } = await admin.query<{ datname: string; xact_commit: string }>(
          'SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY($1)',
          [[...databases.values()].map((d) => d.name)],
        );
        const byName = new Map(rows.map((r) => [r.datname, Number(r.xact_commit)]));
        return new Map([...databases].map(([service, db]) => [service, byName.get(db.name) ?? 0]));
      },
      async records() {
        let total = 0;
        for (const topic of topics)
          for (const p of await kafkaAdmin.fetchTopicOffsets(topic.name)) total += Number(p.high);
        return total;
      },
      async stopServices() {
        connection.close();
        for (const p of processes.splice(0).reverse()) {
          const code = await p.stop();
          if (code !== 0) throw new Error(`${p.service} stopped with ${code}: ${p.stderr()}`);
        }
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
