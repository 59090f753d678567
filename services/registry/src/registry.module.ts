import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import { serviceAuth, type ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore, type Subscription } from '@cancuoc/eventstore';
import { serverCredentialsFor, startGrpcServer, type RunningGrpcServer } from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import {
  IdempotentConsumer,
  InProcessTransport,
  KafkaTransport,
  Relay,
  inProcessLogMigrations,
  type Transport,
} from '@cancuoc/messaging';
import { createLogger, type Logger } from '@cancuoc/observability';
import { eventStoreProjection, operationsMigrations, operationsService } from '@cancuoc/operations';
import { topicCatalogue } from '@cancuoc/proto';
import { Redis } from 'ioredis';
import { CITIZEN_PROJECTION, citizenProjection } from './application/citizen-projection.js';
import type { CitizenCache } from './application/ports.js';
import { Registry } from './application/registry.js';
import { asConfigError, configErrorOf, type RegistryConfig, type StorageConfig } from './config.js';
import { MemoryCitizenCache, RedisCitizenCache } from './infrastructure/citizen-caches.js';
import { CARD_CONSUMER, cardChangesConsumer } from './infrastructure/card-events.js';
import { registryService } from './infrastructure/grpc/registry-service.js';
import { CitizenIntegrationEvents } from './infrastructure/integration-events.js';
import { registryMigrations } from './infrastructure/migrations/index.js';

export interface StartOptions {
  /** Applies pending migrations first; server deployments run them as a separate step instead. */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode); the caller closes it. */
  readonly transport?: Transport;
  /** Fixes the register's calendar day, for tests. */
  readonly today?: () => CalendarDate;
  /**
   * Where the registry logs (unexpected gRPC errors, failing relay and projection batches). Default:
   * JSON lines on stdout and stderr, service `registry`.
   */
  readonly logger?: Logger;
}

export const CONFIG = Symbol('RegistryConfig');
export const OPTIONS = Symbol('StartOptions');
export const TODAY = Symbol('Today');
export const CACHE = Symbol('CitizenCache');
export const REDIS = Symbol('Redis');
export const TRANSPORT = Symbol('Transport');
export const AUTH = Symbol('ServiceAuth');
export const LOGGER = Symbol('Logger');

function open(config: StorageConfig): Promise<Database> {
  return Database.connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    applicationName: 'cancuoc-registry',
    migrations: [
      ...registryMigrations,
      ...auditMigrations,
      ...operationsMigrations,
      ...(config.kafkaBrokers ? [] : inProcessLogMigrations),
    ],
  });
}

/** Applies pending migrations and closes; the names of those applied. */
export async function migrateRegistryDatabase(config: StorageConfig): Promise<readonly string[]> {
  const db = await open(config);
  try {
    return await db.migrate();
  } finally {
    await db.close();
  }
}

async function connect(config: RegistryConfig, options: StartOptions): Promise<Database> {
  const db = await open(config);
  try {
    if (options.migrate ?? !config.databaseUrl) await db.migrate();
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function redisClient(config: RegistryConfig): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  // An unreachable Redis is a cache miss, not an outage; ioredis keeps reconnecting meanwhile.
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  return redis;
}

async function transportFor(config: RegistryConfig, options: StartOptions, db: Database): Promise<Transport> {
  if (options.transport) return options.transport;
  if (config.kafkaBrokers) {
    return new KafkaTransport({
      brokers: config.kafkaBrokers,
      clientId: 'cancuoc-registry',
      idempotent: config.kafkaIdempotent,
      ...config.kafkaSecurity,
    });
  }
  const transport = new InProcessTransport({ db });
  await transport.createTopics(
    topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
  );
  return transport;
}

/**
 * What runs in the background of the registry and in which order it starts and stops: the projection
 * and the relay, then the gRPC server; on shutdown the server first (no new calls, in-flight calls
 * finish), then the relay and projection finish their batch, then the connections close.
 */
@Injectable()
export class RegistryRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  grpc: RunningGrpcServer | undefined;
  readonly relay: Relay;
  private readonly projection: Subscription;
  private readonly cards: IdempotentConsumer;
  private readonly logger: Logger;
  private readonly store: EventStore;

  constructor(
    @Inject(CONFIG) private readonly config: RegistryConfig,
    @Inject(OPTIONS) private readonly options: StartOptions,
    @Inject(LOGGER) logger: Logger,
    @Inject(AUTH) private readonly auth: ServiceAuth,
    @Inject(Database) readonly db: Database,
    @Inject(EventStore) store: EventStore,
    @Inject(Registry) readonly registry: Registry,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(REDIS) private readonly redis: Redis | undefined,
    @Inject(TODAY) today: () => CalendarDate,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {
    this.store = store;
    this.logger = logger;
    // A failing batch is retried with backoff; the log says so, with the error's class, never its message.
    this.projection = citizenProjection(store, today, (error) =>
      this.logger.warn('projection.batch_failed', { subscription: CITIZEN_PROJECTION, error }),
    );
    const integrationEvents = new CitizenIntegrationEvents(store);
    this.relay = new Relay({
      name: 'registry-relay',
      source: '/cancuoc/registry',
      store,
      transport,
      mapBatch: (events) => integrationEvents.map(events),
      onError: (error) => this.logger.warn('relay.batch_failed', { relay: 'registry-relay', error }),
    });
    this.cards = cardChangesConsumer(db, transport, (error) =>
      this.logger.warn('consumer.failed', { subscriber: CARD_CONSUMER, error }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.audit.start();
    await this.projection.start();
    await this.relay.start();
    await this.cards.start();
    // Mutual TLS with certificate files; plaintext only on loopback, and never in server mode
    // (tokens from an OpenID provider, which configFromEnv demands with DATABASE_URL).
    const { credentials, transport } = asConfigError(() =>
      serverCredentialsFor({
        tls: this.config.tls,
        host: this.config.grpcHost,
        server: this.config.auth.mode === 'server',
      }),
    );
    this.grpc = await startGrpcServer({
      host: this.config.grpcHost,
      port: this.config.grpcPort,
      credentials,
      healthListener: this.config.healthListener,
      services: [
        registryService(this.registry, this.auth),
        operationsService({
          service: 'registry',
          authenticate: this.auth.authenticate,
          audit: this.audit,
          eventLog: this.db,
          projections: [
            eventStoreProjection({
              store: this.store,
              subscription: CITIZEN_PROJECTION,
              description: 'reg_citizens and reg_quality_flags: search and data quality',
            }),
          ],
          consumers: [this.cards],
          transport: this.transport,
        }),
      ],
      logger: this.logger,
    });
    this.logger.info('grpc.listening', { port: this.grpc.port, transport });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.grpc?.shutdown();
    await this.cards.stop();
    await this.relay.stop();
    await this.projection.stop();
    await this.audit.stop();
    if (!this.options.transport) await this.transport.close();
    this.redis?.disconnect();
    await this.db.close();
  }
}

/** The registry's composition root as a Nest module: configuration in, use cases and runtime out. */
@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, options: StartOptions = {}): DynamicModule {
    return {
      module: RegistryModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: OPTIONS, useValue: options },
        { provide: LOGGER, useValue: options.logger ?? createLogger({ service: 'registry' }) },
        {
          provide: AUTH,
          useFactory: (logger: Logger) =>
            serviceAuth(config.auth, 'registry', { logger }).catch((error: unknown) => {
              throw configErrorOf(error);
            }),
          inject: [LOGGER],
        },
        { provide: TODAY, useValue: options.today ?? (() => CalendarDate.fromInstant(new Date())) },
        { provide: Database, useFactory: () => connect(config, options) },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db), inject: [Database] },
        { provide: REDIS, useFactory: () => redisClient(config) },
        {
          provide: CACHE,
          useFactory: (redis: Redis | undefined): CitizenCache =>
            redis ? new RedisCitizenCache(redis) : new MemoryCitizenCache(),
          inject: [REDIS],
        },
        {
          provide: TRANSPORT,
          useFactory: (db: Database) => transportFor(config, options, db),
          inject: [Database],
        },
        {
          provide: AuditLog,
          useFactory: (db: Database) => new AuditLog(db, { chain: 'registry' }),
          inject: [Database],
        },
        {
          provide: Registry,
          useFactory: (store: EventStore, cache: CitizenCache, today: () => CalendarDate, audit: AuditLog) =>
            new Registry({
              store,
              cache,
              today,
              random: (max) => randomInt(max),
              staleAfterDays: config.staleAfterDays,
              audit,
              ...(config.familyRules && { familyRules: config.familyRules }),
            }),
          inject: [EventStore, CACHE, TODAY, AuditLog],
        },
        RegistryRuntime,
      ],
      exports: [RegistryRuntime],
    };
  }
}
