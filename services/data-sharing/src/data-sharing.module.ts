import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuditLog } from '@cancuoc/audit';
import type { ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore, type Subscription } from '@cancuoc/eventstore';
import {
  InMemoryIdempotencyStore,
  RedisIdempotencyStore,
  serverCredentialsFor,
  startGrpcServer,
  type IdempotencyStore,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import {
  IdempotentConsumer,
  InProcessTransport,
  KafkaTransport,
  inProcessLogMigrations,
  type Transport,
} from '@cancuoc/messaging';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
  REGISTRY_CITIZEN_TOPIC,
  topicCatalogue,
} from '@cancuoc/proto';
import { operationsMigrations, operationsService as sharedOperationsService } from '@cancuoc/operations';
import { Redis } from 'ioredis';
import { AgencyQueries } from './application/agency-queries.js';
import { citizenProjection } from './application/citizen-projection.js';
import { DeliveryPublisher } from './application/delivery/publisher.js';
import { DisclosureReports } from './application/disclosures.js';
import { recordReceived } from './application/ingest.js';
import { Operations } from './application/operations.js';
import { operatorProjections } from './application/operator-projections.js';
import type { DeliveryGate, Logger, PartnerTopics, RateLimiter } from './application/ports.js';
import { ProjectionPositions } from './application/positions.js';
import { Subscriptions } from './application/subscriptions.js';
import { BackfillRunner } from './application/views/backfill-runner.js';
import type { DataSharingConfig, StorageConfig } from './config.js';
import { counterKey } from './infrastructure/counter-key.js';
import { LocalDeliveryGate } from './infrastructure/delivery/local-gate.js';
import { InProcessPartnerTopics, KafkaPartnerTopics } from './infrastructure/delivery/partner-topics.js';
import { PgDeliveryGate } from './infrastructure/delivery/pg-gate.js';
import { agencyQueryService } from './infrastructure/grpc/agency-query-service.js';
import { dataProtectionService } from './infrastructure/grpc/data-protection-service.js';
import { operationsService } from './infrastructure/grpc/operations-service.js';
import { subscriptionService } from './infrastructure/grpc/subscription-service.js';
import { INBOUND_TYPES, receivedEvent } from './infrastructure/inbound/mapping.js';
import { dataSharingMigrations } from './infrastructure/migrations/index.js';
import { decodeCitizen, encodeDisclosure, sharedFieldsOf } from './infrastructure/partner/codec.js';
import { partnerRecords } from './infrastructure/partner/records.js';
import { MemoryRateLimiter, RedisRateLimiter } from './infrastructure/rate-limit/limiters.js';

export interface StartOptions {
  /** Applies pending migrations first; server deployments run them as a separate step instead. */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode); the caller closes it. */
  readonly transport?: Transport;
  /** Fixes the calendar day (Vietnam's), for tests. */
  readonly today?: () => CalendarDate;
  /** Where log lines go (refused calls among them, `auth.refused`); JSON on stderr by default. */
  readonly logger?: Logger & { error(event: string, fields: Readonly<Record<string, unknown>>): void };
}

export const CONFIG = Symbol('DataSharingConfig');
export const OPTIONS = Symbol('StartOptions');
export const TODAY = Symbol('Today');
export const REDIS = Symbol('Redis');
export const TRANSPORT = Symbol('Transport');
export const GATE = Symbol('DeliveryGate');
export const TOPICS = Symbol('PartnerTopics');
export const LIMITER = Symbol('RateLimiter');
export const IDEMPOTENCY = Symbol('IdempotencyStore');
export const LOGGER = Symbol('Logger');
export const AUTH = Symbol('ServiceAuth');

/** The consumer group of the inbound events. */
export const INBOUND_GROUP = 'data-sharing.citizens';

/** The events data sharing consumes. */
export const INBOUND_TOPICS = [
  REGISTRY_CITIZEN_TOPIC,
  CARD_PRODUCTION_CARD_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
].map((t) => t.name);

function open(config: StorageConfig): Promise<Database> {
  return Database.connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    applicationName: 'cancuoc-data-sharing',
    migrations: [
      ...dataSharingMigrations,
      ...operationsMigrations,
      ...(config.kafkaBrokers ? [] : inProcessLogMigrations),
    ],
  });
}

/** Applies pending migrations and closes; the names of those applied. */
export async function migrateDataSharingDatabase(config: StorageConfig): Promise<readonly string[]> {
  const db = await open(config);
  try {
    return await db.migrate();
  } finally {
    await db.close();
  }
}

async function connect(config: DataSharingConfig, options: StartOptions): Promise<Database> {
  const db = await open(config);
  try {
    if (options.migrate ?? !config.databaseUrl) await db.migrate();
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function redisClient(config: DataSharingConfig): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  // Redis only holds rate-limit counters and idempotency results; while it is away both degrade.
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  return redis;
}

async function transportFor(
  config: DataSharingConfig,
  options: StartOptions,
  db: Database,
): Promise<Transport> {
  const transport =
    options.transport ??
    (config.kafkaBrokers
      ? new KafkaTransport({
          brokers: config.kafkaBrokers,
          clientId: 'cancuoc-data-sharing',
          idempotent: config.kafkaIdempotent,
          maxWaitTimeMs: config.kafkaMaxWaitMs,
          ...config.kafkaSecurity,
        })
      : new InProcessTransport({ db }));
  if (transport instanceof InProcessTransport) {
    await transport.createTopics(
      topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
    );
  }
  return transport;
}

function topicsFor(
  config: DataSharingConfig,
  transport: Transport,
): PartnerTopics & { close?(): Promise<void> } {
  if (transport instanceof InProcessTransport) return new InProcessPartnerTopics(transport);
  if (!config.kafkaBrokers) throw new Error('a Kafka transport needs KAFKA_BROKERS to check partner topics');
  return new KafkaPartnerTopics({
    brokers: config.kafkaBrokers,
    clientId: 'cancuoc-data-sharing-admin',
    ...config.kafkaSecurity,
  });
}

/**
 * What runs in the background of data sharing and in which order it starts and stops: the audit
 * sealer, the citizen projection, back-fills, delivery and the inbound consumer, then the gRPC
 * server; on shutdown the server first (in-flight calls finish), then each loop finishes its batch,
 * then the connections close.
 */
@Injectable()
export class DataSharingRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  grpc: RunningGrpcServer | undefined;
  readonly projection: Subscription;
  readonly backfills: BackfillRunner;
  readonly publisher: DeliveryPublisher;
  readonly consumer: IdempotentConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: DataSharingConfig,
    @Inject(OPTIONS) private readonly options: StartOptions,
    @Inject(Database) readonly db: Database,
    @Inject(EventStore) readonly store: EventStore,
    @Inject(TRANSPORT) readonly transport: Transport,
    @Inject(REDIS) private readonly redis: Redis | undefined,
    @Inject(TODAY) today: () => CalendarDate,
    @Inject(GATE) private readonly gate: DeliveryGate,
    @Inject(TOPICS) private readonly topics: PartnerTopics & { close?(): Promise<void> },
    @Inject(IDEMPOTENCY) private readonly idempotency: IdempotencyStore,
    @Inject(LOGGER) private readonly logger: NonNullable<StartOptions['logger']>,
    @Inject(AUTH) private readonly auth: ServiceAuth,
    @Inject(AuditLog) readonly audit: AuditLog,
    @Inject(ProjectionPositions) private readonly positions: ProjectionPositions,
    @Inject(AgencyQueries) private readonly queries: AgencyQueries,
    @Inject(Subscriptions) readonly subscriptions: Subscriptions,
    @Inject(DisclosureReports) private readonly reports: DisclosureReports,
    @Inject(Operations) readonly operations: Operations,
  ) {
    const failed = (event: string) => (error: unknown) => logger.error(event, { error });
    this.projection = citizenProjection({
      store,
      encode: encodeDisclosure,
      today,
      onError: failed('projection.batch_failed'),
    });
    this.backfills = new BackfillRunner({
      db,
      encode: encodeDisclosure,
      today,
      batchSize: config.backfillBatchSize,
      onError: failed('backfill.batch_failed'),
    });
    this.publisher = new DeliveryPublisher({
      db,
      transport,
      gate,
      topics,
      audit,
      recordsOf: partnerRecords,
      batchSize: config.deliveryBatchSize,
      fieldsOf: (payload) => sharedFieldsOf(decodeCitizen(payload)),
      logger,
      onError: failed('delivery.batch_failed'),
    });
    this.consumer = new IdempotentConsumer({
      // Under the service's name, as the Kafka ACLs require (conventions: `<service>.<purpose>`).
      subscriber: INBOUND_GROUP,
      transport,
      db,
      topics: INBOUND_TOPICS,
      types: INBOUND_TYPES,
      handle: async (event, tx) => {
        const received = receivedEvent(event);
        if (received) await recordReceived(store, received, event, tx);
      },
      onError: (error, record) =>
        logger.error('inbound.record_failed', { error, topic: record.topic, partition: record.partition }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.audit.start();
    await this.positions.start();
    await this.projection.start();
    await this.backfills.start();
    await this.publisher.start();
    await this.consumer.start();
    // Every RPC of every service goes through the one guard: token, client certificate, policy.
    const { authenticate } = this.auth;
    const { credentials, transport } = serverCredentialsFor({
      tls: this.config.tls,
      host: this.config.grpcHost,
      server: this.config.databaseUrl !== undefined,
    });
    this.grpc = await startGrpcServer({
      host: this.config.grpcHost,
      port: this.config.grpcPort,
      credentials,
      healthListener: this.config.healthListener,
      logger: this.logger,
      services: [
        agencyQueryService(this.queries, this.auth),
        subscriptionService(this.subscriptions, authenticate, this.idempotency),
        dataProtectionService(this.reports, this.audit, authenticate),
        operationsService(this.operations, authenticate),
        sharedOperationsService({
          service: 'data-sharing',
          authenticate,
          audit: this.audit,
          eventLog: this.db,
          projections: operatorProjections(this.store, this.operations),
          consumers: [this.consumer],
          transport: this.transport,
        }),
      ],
    });
    this.logger.info('grpc.listening', {
      port: this.grpc.port,
      transport,
      'auth.audience': this.auth.audience,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.grpc?.shutdown();
    await this.consumer.stop();
    await this.publisher.stop();
    await this.backfills.stop();
    await this.projection.stop();
    await this.positions.stop();
    await this.audit.stop();
    await this.gate.close();
    await this.topics.close?.();
    if (!this.options.transport) await this.transport.close();
    this.redis?.disconnect();
    await this.db.close();
  }
}

/**
 * Data sharing's composition root as a Nest module: configuration in, use cases and runtime out.
 * `auth` (the guard of every RPC, and data sharing's own tokens) is made before it, by
 * `startDataSharing`, so that a refused credential stops the start before anything is opened.
 */
@Module({})
export class DataSharingModule {
  static forRoot(
    config: DataSharingConfig,
    options: StartOptions & { readonly logger: NonNullable<StartOptions['logger']> },
    auth: ServiceAuth,
  ): DynamicModule {
    return {
      module: DataSharingModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: OPTIONS, useValue: options },
        { provide: TODAY, useValue: options.today ?? (() => CalendarDate.fromInstant(new Date())) },
        { provide: LOGGER, useValue: options.logger },
        { provide: AUTH, useValue: auth },
        { provide: Database, useFactory: () => connect(config, options) },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db), inject: [Database] },
        { provide: REDIS, useFactory: () => redisClient(config) },
        {
          provide: TRANSPORT,
          useFactory: (db: Database) => transportFor(config, options, db),
          inject: [Database],
        },
        {
          provide: GATE,
          useFactory: (db: Database): DeliveryGate =>
            config.databaseUrl ? new PgDeliveryGate(config.databaseUrl, db) : new LocalDeliveryGate(),
          inject: [Database],
        },
        { provide: TOPICS, useFactory: (t: Transport) => topicsFor(config, t), inject: [TRANSPORT] },
        {
          provide: LIMITER,
          useFactory: (redis: Redis | undefined): RateLimiter =>
            redis ? new RedisRateLimiter(redis, `${config.redisKeyPrefix}rate:`) : new MemoryRateLimiter(),
          inject: [REDIS],
        },
        {
          provide: IDEMPOTENCY,
          useFactory: (redis: Redis | undefined): IdempotencyStore =>
            redis
              ? new RedisIdempotencyStore(redis, { keyPrefix: `${config.redisKeyPrefix}idempotency:` })
              : new InMemoryIdempotencyStore(),
          inject: [REDIS],
        },
        {
          provide: AuditLog,
          useFactory: (db: Database, logger: Logger) =>
            new AuditLog(db, {
              chain: 'data-sharing',
              onError: (error) => logger.error('audit.seal_failed', { error }),
            }),
          inject: [Database, LOGGER],
        },
        {
          provide: ProjectionPositions,
          useFactory: (db: Database) => new ProjectionPositions(db),
          inject: [Database],
        },
        {
          provide: AgencyQueries,
          useFactory: async (
            db: Database,
            audit: AuditLog,
            limiter: RateLimiter,
            positions: ProjectionPositions,
            today: () => CalendarDate,
          ) =>
            new AgencyQueries({
              db,
              audit,
              limiter,
              positions,
              today,
              counterKey: await counterKey(db),
              limits: {
                readsPerMinute: config.readsPerMinute,
                verificationsPerMinute: config.verificationsPerMinute,
                verificationsPerCitizenPerDay: config.verificationsPerCitizenPerDay,
              },
            }),
          inject: [Database, AuditLog, LIMITER, ProjectionPositions, TODAY],
        },
        {
          provide: Subscriptions,
          useFactory: (store: EventStore, gate: DeliveryGate, topics: PartnerTopics) =>
            new Subscriptions({ store, gate, topics }),
          inject: [EventStore, GATE, TOPICS],
        },
        {
          provide: DisclosureReports,
          useFactory: (db: Database, audit: AuditLog) => new DisclosureReports(db, audit),
          inject: [Database, AuditLog],
        },
        {
          provide: Operations,
          useFactory: (store: EventStore) => new Operations(store),
          inject: [EventStore],
        },
        DataSharingRuntime,
      ],
      exports: [DataSharingRuntime],
    };
  }
}
