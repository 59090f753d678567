/**
 * The service chassis on real databases (PGlite in process, PostgreSQL on this machine): what it
 * provides, the order in which it starts and stops a service's background components around its
 * gRPC server, what a failed start leaves behind (nothing open), and its configuration's refusals.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Module, type DynamicModule } from '@nestjs/common';
import { auditMigrations } from '@cancuoc/audit';
import { DevelopmentIssuer } from '@cancuoc/auth';
import { Database, eventStoreMigrations } from '@cancuoc/eventstore';
import { InProcessTransport, inProcessLogMigrations } from '@cancuoc/messaging';
import { createLogger } from '@cancuoc/observability';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import {
  backgroundComponent,
  ServiceChassisModule,
  startService,
  TRANSPORT,
  type ServiceStartOptions,
} from './chassis.js';
import { ConfigError, serviceConfig, type ServiceBaseConfig } from './config.js';

const QUIET = createLogger({ service: 'probe', write: () => undefined });

/** Whether something accepts TCP connections on `port` of the loopback. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Probe {
  readonly events: string[];
  /** The database the components were given, to look at after the service stopped. */
  db?: Database;
  port?: number;
}

/**
 * A service of three components: each records its start and stop; `a` looks whether the
 * migrations ran before it started, `c` whether the gRPC server still listens when it stops.
 */
function probeModule(
  config: ServiceBaseConfig,
  options: ServiceStartOptions,
  probe: Probe,
  failing?: string,
): DynamicModule {
  const tokens = ['a', 'b', 'c'].map((name) => Symbol(name));
  @Module({})
  class ProbeModule {}
  return {
    module: ProbeModule,
    imports: [
      ServiceChassisModule.forService({
        name: 'registry',
        config,
        options: { logger: QUIET, ...options },
        migrations: [...eventStoreMigrations, ...auditMigrations],
        components: tokens,
      }),
    ],
    providers: tokens.map((token, i) => ({
      provide: token,
      useFactory: (db: Database) => {
        probe.db = db;
        const name = token.description!;
        return backgroundComponent(name, {
          start: async () => {
            if (i === 0) {
              const [row] = await db.query<{ n: string }>(
                `SELECT count(*)::text AS n FROM schema_migrations`,
              );
              probe.events.push(`migrated ${row!.n !== '0'}`);
            }
            probe.events.push(`start ${name}`);
            if (name === failing) throw new Error(`${name} cannot start`);
          },
          stop: async () => {
            if (i === 2 && probe.port !== undefined)
              probe.events.push(`grpc listening ${await listening(probe.port)}`);
            probe.events.push(`stop ${name}`);
          },
        });
      },
      inject: [Database],
    })),
  };
}

async function configOf(databaseUrl: string | undefined): Promise<ServiceBaseConfig> {
  return {
    databaseUrl,
    dataDir: undefined,
    kafkaBrokers: undefined,
    redisUrl: undefined,
    kafkaIdempotent: false,
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    auth: { mode: 'issuer', issuer: await DevelopmentIssuer.inMemory() },
    tls: undefined,
  };
}

async function startsAndStopsInOrder(config: ServiceBaseConfig, options: ServiceStartOptions = {}) {
  const probe: Probe = { events: [] };
  const service = await startService(probeModule(config, { migrate: true, ...options }, probe));
  probe.port = service.grpc.port;
  assert.ok(await listening(service.grpc.port), 'the gRPC server listens once started');
  assert.deepEqual(probe.events, ['migrated true', 'start a', 'start b', 'start c']);
  // The providers are there, as the service's own module injects them.
  assert.equal(service.get(TRANSPORT), service.chassis.transport);
  assert.equal(await probe.db!.orm.isConnected(), true);
  await service.stop();
  assert.deepEqual(probe.events.slice(4), ['grpc listening false', 'stop c', 'stop b', 'stop a']);
  assert.equal(await probe.db!.orm.isConnected(), false, 'the database is closed after the components');
}

async function failedStartStopsWhatStarted(config: ServiceBaseConfig) {
  const probe: Probe = { events: [] };
  await assert.rejects(startService(probeModule(config, { migrate: true }, probe, 'b')), /b cannot start/);
  assert.deepEqual(probe.events, ['migrated true', 'start a', 'start b', 'stop a']);
  assert.equal(await probe.db!.orm.isConnected(), false, 'the database was closed');
}

describe('service chassis on PGlite (embedded)', () => {
  it('migrates, starts the components in order, then gRPC; stops gRPC first, then in reverse, then closes', async () => {
    await startsAndStopsInOrder(await configOf(undefined));
  });

  it('a component that fails to start stops those started before it and closes the database', async () => {
    await failedStartStopsWhatStarted(await configOf(undefined));
  });

  it('leaves a transport it was given open', async () => {
    const log = await Database.connect({ migrations: inProcessLogMigrations });
    await log.migrate();
    const shared = new InProcessTransport({ db: log });
    try {
      await startsAndStopsInOrder(await configOf(undefined), { transport: shared });
      await shared.createTopics([{ name: 'internal.probe.v1', partitions: 1, retentionMs: 60_000 }]);
    } finally {
      await shared.close();
      await log.close();
    }
  });
});

describe('service chassis on PostgreSQL', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('runtime_chassis');
  });
  after(async () => {
    await database.drop();
  });

  it('migrates, starts the components in order, then gRPC; stops gRPC first, then in reverse, then closes', async () => {
    await startsAndStopsInOrder(await configOf(database.url));
  });

  it('a component that fails to start stops those started before it and closes the database', async () => {
    await failedStartStopsWhatStarted(await configOf(database.url));
  });
});

describe('service configuration', () => {
  const { configFromEnv, storageConfigFromEnv } = serviceConfig(
    { name: 'widget', variablePrefix: 'WIDGET', defaultPort: 50099 },
    (vars) => ({
      batchSize: vars.integer('WIDGET_BATCH_SIZE', 100, { min: 1 }),
      share: vars.integer('WIDGET_SHARE', 50, { min: 0, max: 100 }),
      label: vars.text('WIDGET_LABEL', 'widget:'),
    }),
  );

  function refused(env: NodeJS.ProcessEnv, variable: string): void {
    assert.throws(
      () => configFromEnv(env),
      (error) => error instanceof ConfigError && error.message.includes(variable),
      `${JSON.stringify(env)} is refused naming ${variable}`,
    );
  }

  it('reads the base and the service’s own variables, with their defaults', () => {
    const config = configFromEnv({});
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.dataDir, '.data/widget');
    assert.equal(config.kafkaBrokers, undefined);
    assert.equal(config.kafkaIdempotent, true);
    assert.equal(config.grpcHost, '127.0.0.1');
    assert.equal(config.grpcPort, 50099);
    assert.equal(config.auth.mode, 'embedded');
    assert.deepEqual([config.batchSize, config.share, config.label], [100, 50, 'widget:']);
    const set = configFromEnv({
      KAFKA_BROKERS: ' k1:9092, ,k2:9092',
      KAFKA_IDEMPOTENT: 'false',
      REDIS_URL: 'redis://cache:6379',
      WIDGET_GRPC_PORT: '6000',
      WIDGET_BATCH_SIZE: '7',
      WIDGET_SHARE: '',
      WIDGET_LABEL: 'w:',
    });
    assert.deepEqual(set.kafkaBrokers, ['k1:9092', 'k2:9092']);
    assert.equal(set.kafkaIdempotent, false);
    assert.equal(set.redisUrl, 'redis://cache:6379');
    assert.equal(set.grpcPort, 6000);
    assert.deepEqual([set.batchSize, set.share, set.label], [7, 50, 'w:']);
    assert.deepEqual(storageConfigFromEnv({ DATABASE_URL: 'postgres://db/widget' }), {
      databaseUrl: 'postgres://db/widget',
      dataDir: undefined,
      kafkaBrokers: undefined,
    });
  });

  it('refuses a value that does not fit, naming the variable', () => {
    for (const value of ['0', '-3', 'many', '1.5'])
      refused({ WIDGET_BATCH_SIZE: value }, 'WIDGET_BATCH_SIZE');
    refused({ WIDGET_SHARE: '101' }, 'WIDGET_SHARE');
    refused({ DATABASE_URL: 'mysql://db/widget' }, 'DATABASE_URL');
    refused({ WIDGET_GRPC_PORT: 'http' }, 'WIDGET_GRPC_PORT');
    refused({ DATABASE_URL: 'postgres://db/widget' }, 'CANCUOC_OIDC_ISSUER');
    refused({ KAFKA_BROKERS: 'k1:9092', KAFKA_SASL_MECHANISM: 'rot13' }, 'KAFKA_SASL_MECHANISM');
  });
});
