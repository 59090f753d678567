/**
 * A server-mode platform for the end-to-end tests: the four services as separate processes
 * (`main.js migrate`, then `main.js`), each on its own fresh PostgreSQL database, with Redis and the
 * Kafka-protocol broker, mutual TLS and the OpenID provider of {@link startServerTrust}. Each
 * service keeps its environment (keys, Redis prefix, port) for its life, so a killed one is started
 * again as a deployment restarts a pod: same database, same keys, same address.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '@cancuoc/auth';
import { DEMO_AGENCY, SERVICES, envName, type ServiceName } from '@cancuoc/platform';
import { partnerTopicsOf } from '@cancuoc/proto';
import {
  TEST_REDIS_URL,
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type TestDatabase,
} from '@cancuoc/testing';
import { startServerTrust, type ServerTrust } from './server-trust.js';
import { migrateService, startService, type ServiceProcess } from '@cancuoc/testing';

export interface ServerMode {
  readonly trust: ServerTrust;
  readonly broker: KafkaBroker;
  /** The environment `service` runs with, its peers' addresses from `peers`; fresh keys each call. */
  envOf(service: ServiceName, peers?: Record<string, string>): NodeJS.ProcessEnv;
  /** Migrates and starts the four services in order, each pointed at the ones it calls. */
  startServices(): Promise<ServerServices>;
  /** Stops what is still running, the broker and the provider; drops the databases. */
  stop(): Promise<void>;
}

export interface ServerServices {
  readonly addresses: Readonly<Record<ServiceName, string>>;
  readonly processes: ReadonlyMap<ServiceName, ServiceProcess>;
  /** SIGKILL: the process is gone at once, as when its node fails. Resolves once it has exited. */
  kill(service: ServiceName): Promise<void>;
  /** Starts `service` again with its environment and on its address (after {@link kill}). */
  restart(service: ServiceName): Promise<void>;
  /** SIGTERM to each, in reverse order; the exit codes by service. */
  stop(): Promise<Map<ServiceName, number | null>>;
}

/**
 * Sets up the trust (CA, provider, a client per machine, an account per person, each person signed
 * in with `cancuoc login`), the broker with the catalogue's topics and the demo agency's partner
 * topics (provisioned by the deploy, never made by data sharing), and a database per service.
 */
export async function setUpServerMode(
  folder: string,
  parties: { readonly people: readonly Identity[]; readonly machines: readonly Identity[] },
  env: Record<string, string> = {},
): Promise<ServerMode> {
  const keyDir = join(folder, 'card-production-keys');
  await mkdir(keyDir, { mode: 0o700 });
  const trust = await startServerTrust(folder, parties);
  const databases = new Map<ServiceName, TestDatabase>();
  let broker: KafkaBroker | undefined;
  const running = new Set<ServerServices>();
  const stop = async () => {
    for (const services of running) await services.stop();
    await broker?.stop();
    await trust.stop();
    for (const db of databases.values()) await db.drop();
  };
  try {
    broker = await startKafkaBroker({
      topics: [
        ...catalogueTopics(),
        ...partnerTopicsOf(DEMO_AGENCY.agency).map((t) => ({ name: t.name, partitions: t.partitions })),
      ],
      brokers: 1,
    });
    for (const service of SERVICES)
      databases.set(service, await createTestDatabase(`e2e_${service.replace('-', '_')}`));
    // Every person the tests act as signs in from a terminal, as they would.
    await trust.signIn(parties.people);
  } catch (error) {
    await stop();
    throw error;
  }
  const kafka = broker;

  const envOf = (service: ServiceName, peers: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'info',
    DATABASE_URL: databases.get(service)!.url,
    REDIS_URL: TEST_REDIS_URL,
    KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    KAFKA_IDEMPOTENT: 'false',
    KAFKA_MAX_WAIT_MS: '50',
    ...trust.serviceEnv(service),
    [`${envName(service)}_GRPC_HOST`]: '127.0.0.1',
    [`${envName(service)}_GRPC_PORT`]: '0',
    ENROLLMENT_MASTER_KEYS: randomBytes(32).toString('hex'),
    ENROLLMENT_REPROCESS_INTERVAL_MS: '100',
    CARD_PRODUCTION_KEY_DIR: keyDir,
    CARD_PRODUCTION_DEVELOPMENT_PKI: 'true',
    CARD_PRODUCTION_DATA_KEY: randomBytes(32).toString('base64'),
    CARD_PRODUCTION_REDIS_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
    DATA_SHARING_REDIS_KEY_PREFIX: `e2e-${randomBytes(4).toString('hex')}:`,
    ...env,
    ...peers,
  });

  const startServices = async (): Promise<ServerServices> => {
    const addresses: Partial<Record<ServiceName, string>> = {};
    const processes = new Map<ServiceName, ServiceProcess>();
    const envs = new Map<ServiceName, NodeJS.ProcessEnv>();
    const peers: Record<ServiceName, () => Record<string, string>> = {
      registry: () => ({}),
      enrollment: () => ({ ENROLLMENT_REGISTRY_ADDRESS: addresses.registry! }),
      'card-production': () => ({ CARD_PRODUCTION_ENROLLMENT_ADDRESS: addresses.enrollment! }),
      'data-sharing': () => ({}),
    };
    const services: ServerServices = {
      addresses: addresses as Record<ServiceName, string>,
      processes,
      async kill(service) {
        const { child } = processes.get(service)!;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
      async restart(service) {
        const port = addresses[service]!.split(':').pop()!;
        const env = { ...envs.get(service)!, [`${envName(service)}_GRPC_PORT`]: port };
        processes.set(service, await startService(service, env));
      },
      async stop() {
        running.delete(services);
        const codes = new Map<ServiceName, number | null>();
        for (const service of [...SERVICES].reverse()) {
          const p = processes.get(service);
          if (p) codes.set(service, await p.stop());
        }
        return codes;
      },
    };
    running.add(services);
    for (const service of SERVICES) {
      const env = envOf(service, peers[service]());
      envs.set(service, env);
      await migrateService(service, env);
      const started = await startService(service, env);
      processes.set(service, started);
      addresses[service] = started.address;
    }
    return services;
  };

  return { trust, broker, envOf, startServices, stop };
}
