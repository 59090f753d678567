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
import { AuthConfigError, serviceAuth, type ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore } from '@cancuoc/eventstore';
import {
  channelCredentialsFor,
  serverCredentialsFor,
  startGrpcServer,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import {
  IdempotentConsumer,
  InProcessTransport,
  KafkaTransport,
  Relay,
  inProcessLogMigrations,
  type Transport,
} from '@cancuoc/messaging';
import { operationsService } from '@cancuoc/operations';
import {
  ENROLLMENT_APPLICATION_TOPIC,
  payloadRegistry,
  topicCatalogue,
  type CardApplicationChanged,
} from '@cancuoc/proto';
import { observeCardJobDepth, type Logger } from '@cancuoc/observability';
import { Redis } from 'ioredis';
import { ApplicationIntake } from './application/application-intake.js';
import { CardJobs } from './application/card-jobs.js';
import { CardQueries } from './application/card-queries.js';
import { Dispatcher } from './application/dispatcher.js';
import { jobQueueDepth } from './application/job-table.js';
import { LeaseSweeper } from './application/lease-sweeper.js';
import { CardOperations } from './application/operations.js';
import { Personaliser } from './application/personaliser.js';
import type { CardVault, Clock, DocumentSigners, LeaseBoard, PortraitSource } from './application/ports.js';
import { StationReports } from './application/station-reports.js';
import { UnfinishedCards } from './application/unfinished-work.js';
import { ConfigError, type CardProductionConfig, type StorageConfig } from './config.js';
import type { CardPolicy } from './domain/card/decider.js';
import { applicationChange } from './infrastructure/application-events.js';
import { EnrollmentPortraits } from './infrastructure/enrollment-portraits.js';
import { cardProductionService } from './infrastructure/grpc/card-production-service.js';
import { encodingStationService } from './infrastructure/grpc/encoding-station-service.js';
import { CardIntegrationEvents } from './infrastructure/integration-events.js';
import { embeddedDataKey, FileKeyStore } from './infrastructure/keys/file-key-store.js';
import { MemoryLeaseBoard } from './infrastructure/leases/memory-lease-board.js';
import { RedisLeaseBoard } from './infrastructure/leases/redis-lease-board.js';
import { cardProductionMigrations } from './infrastructure/migrations/index.js';
import { RevocationListPublisher } from './infrastructure/revocation-list.js';
import { EncryptedCardVault } from './infrastructure/vault.js';

export interface StartOptions {
  /** Applies pending migrations first; server deployments run them as a separate step instead. */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode); the caller closes it. */
  readonly transport?: Transport;
  /** The service's clock, for tests. */
  readonly clock?: Clock;
  /** The Document Signers, e.g. an HSM adapter; default: the key directory of the configuration. */
  readonly documentSigners?: DocumentSigners;
  /** Where portraits come from; default: enrollment at `enrollmentAddress`. */
  readonly portraits?: PortraitSource;
  /** Told about failures of the background work (no personal data reaches it from here). */
  readonly onError?: (component: string, error: unknown) => void;
  /**
   * The service's logger: the transport it listens with, refused calls (`auth.refused`), earlier
   * cards of another citizen left unrevoked (`card-production.replacement_refused`).
   */
  readonly logger?: Logger;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const CONFIG = Symbol('CardProductionConfig');
const OPTIONS = Symbol('StartOptions');
const CLOCK = Symbol('Clock');
const REDIS = Symbol('Redis');
const BOARD = Symbol('LeaseBoard');
const TRANSPORT = Symbol('Transport');
const SIGNERS = Symbol('DocumentSigners');
const VAULT = Symbol('CardVault');
const PORTRAITS = Symbol('PortraitSource');
const AUTH = Symbol('ServiceAuth');

function open(config: StorageConfig): Promise<Database> {
  return Database.connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    applicationName: 'cancuoc-card-production',
    migrations: [...cardProductionMigrations, ...(config.kafkaBrokers ? [] : inProcessLogMigrations)],
  });
}

/** Applies pending migrations and closes; the names of those applied. */
export async function migrateCardProductionDatabase(config: StorageConfig): Promise<readonly string[]> {
  const db = await open(config);
  try {
    return await db.migrate();
  } finally {
    await db.close();
  }
}

async function connect(config: CardProductionConfig, options: StartOptions): Promise<Database> {
  const db = await open(config);
  try {
    if (options.migrate ?? !config.databaseUrl) await db.migrate();
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Who may call card production, and its own tokens for enrollment; a bad key file is a configuration error. */
async function authFor(config: CardProductionConfig, options: StartOptions): Promise<ServiceAuth> {
  try {
    return await serviceAuth(config.auth, 'card-production', {
      ...(options.logger && { logger: options.logger }),
    });
  } catch (error) {
    if (error instanceof AuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

async function redisClient(config: CardProductionConfig): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    connectTimeout: 2_000,
  });
  // Redis down only costs the fast path of heartbeats; ioredis keeps reconnecting meanwhile.
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  return redis;
}

async function transportFor(
  config: CardProductionConfig,
  options: StartOptions,
  db: Database,
): Promise<Transport> {
  if (options.transport) return options.transport;
  if (config.kafkaBrokers) {
    return new KafkaTransport({
      brokers: config.kafkaBrokers,
      clientId: 'cancuoc-card-production',
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

async function documentSigners(
  config: CardProductionConfig,
  options: StartOptions,
): Promise<DocumentSigners> {
  if (options.documentSigners) return options.documentSigners;
  if (!config.keyDir) throw new Error('no key directory is configured and no Document Signers were given');
  return FileKeyStore.open({
    dir: config.keyDir,
    developmentPki: config.developmentPki,
    signingPeriodMs: config.documentSignerDays * 24 * 60 * 60 * 1000,
    // The longest a card runs: issued just over two years before 40, it is valid until 60.
    verificationPeriodMs: 23 * 365 * 24 * 60 * 60 * 1000,
  });
}

async function vault(config: CardProductionConfig): Promise<CardVault> {
  if (config.dataKey) return new EncryptedCardVault(config.dataKey);
  if (!config.keyDir) throw new Error('no vault key is configured');
  return new EncryptedCardVault(await embeddedDataKey(config.keyDir));
}

function defaultOnError(component: string, error: unknown): void {
  // The class of the error only: messages of third-party errors could carry data.
  process.stderr.write(
    `${JSON.stringify({ level: 'warn', msg: 'card-production.background_failure', component, error: (error as Error)?.name ?? typeof error })}\n`,
  );
}

/** A warning line without a logger (the embedded platform gives none): as `defaultOnError`'s. */
function defaultWarn(msg: string, fields: Readonly<Record<string, string>>): void {
  process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...fields })}\n`);
}

/**
 * What runs in card production and in which order it starts and stops: the relay and the
 * application consumer, then the personaliser, dispatcher and lease sweeper, then the gRPC server;
 * on shutdown the server first (streams end, calls in flight finish), then the background work
 * finishes what it holds, then the connections close.
 */
@Injectable()
export class CardProductionRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  grpc: RunningGrpcServer | undefined;
  readonly relay: Relay;
  readonly consumer: IdempotentConsumer;
  readonly personaliser: Personaliser;
  readonly dispatcher: Dispatcher;
  readonly sweeper: LeaseSweeper;
  readonly jobs: CardJobs;
  readonly queries: CardQueries;
  private readonly reports: StationReports;
  private readonly operations: CardOperations;
  private readonly revocationList: RevocationListPublisher;
  private readonly audit: AuditLog;
  private stopObservingDepth: (() => void) | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: CardProductionConfig,
    @Inject(OPTIONS) private readonly options: StartOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(Database) readonly db: Database,
    @Inject(EventStore) readonly store: EventStore,
    @Inject(TRANSPORT) readonly transport: Transport,
    @Inject(REDIS) private readonly redis: Redis | undefined,
    @Inject(BOARD) board: LeaseBoard,
    @Inject(SIGNERS) readonly signers: DocumentSigners,
    @Inject(VAULT) vault: CardVault,
    @Inject(PORTRAITS) private readonly portraits: PortraitSource,
    @Inject(AUTH) private readonly auth: ServiceAuth,
  ) {
    const onError = (component: string) => (error: unknown) =>
      (options.onError ?? defaultOnError)(component, error);
    this.audit = new AuditLog(db, { chain: 'card-production', onError: onError('audit-sealer') });
    const policy: CardPolicy = {
      maxAttempts: config.maxAttempts,
      leaseMs: config.leaseMs,
      retryBackoffMs: config.retryBackoffMs,
      maxRetryBackoffMs: config.maxRetryBackoffMs,
    };
    this.jobs = new CardJobs(store, vault, policy);
    this.dispatcher = new Dispatcher({
      db,
      jobs: this.jobs,
      vault,
      audit: this.audit,
      board,
      clock,
      pollMs: config.pollMs,
      onError: onError('dispatcher'),
    });
    const dispatch = () => this.dispatcher.wake();
    this.personaliser = new Personaliser({
      db,
      jobs: this.jobs,
      vault,
      portraits,
      signers,
      audit: this.audit,
      clock,
      concurrency: config.personalisationConcurrency,
      retryMs: Math.max(500, Math.min(config.retryBackoffMs, 5_000)),
      maxRetryMs: 5 * 60_000,
      claimMs: 60_000,
      pollMs: config.pollMs,
      onQueued: dispatch,
      onError: onError('personaliser'),
    });
    const personalise = () => this.personaliser.wake();
    this.sweeper = new LeaseSweeper({
      db,
      jobs: this.jobs,
      board,
      clock,
      everyMs: config.sweepMs,
      onRequeued: dispatch,
      onError: onError('lease-sweeper'),
    });
    this.reports = new StationReports({ db, jobs: this.jobs, board, clock, onSettled: dispatch });
    this.operations = new CardOperations(
      store,
      this.jobs,
      vault,
      clock,
      () => {
        personalise();
        dispatch();
      },
      // Ids and the reason only, for the operator to look into with enrollment.
      (refusal) =>
        options.logger
          ? options.logger.warn('card-production.replacement_refused', { ...refusal })
          : defaultWarn('card-production.replacement_refused', { ...refusal }),
    );
    this.queries = new CardQueries(store, board, () => this.dispatcher.connected, clock);
    this.revocationList = new RevocationListPublisher(
      this.queries,
      signers,
      clock,
      config.revocationListValidityMs,
    );
    const intake = new ApplicationIntake(this.jobs, vault, clock, personalise);
    const types = payloadRegistry([ENROLLMENT_APPLICATION_TOPIC]);
    this.consumer = new IdempotentConsumer({
      // `<service>.<purpose>`: the Kafka ACLs grant card production's groups by prefix. Stable forever.
      subscriber: 'card-production.applications',
      transport,
      db,
      topics: [ENROLLMENT_APPLICATION_TOPIC.name],
      types,
      handle: (event, tx) =>
        intake.handle(applicationChange(event.data as CardApplicationChanged), tx, {
          actor: 'service:enrollment',
          // Carried on only when well formed: a malformed header must not make the event unprocessable.
          correlationId:
            event.correlationId && UUID.test(event.correlationId) ? event.correlationId : undefined,
          // No traceparent: the card's first event records its own append's, a child of the
          // record's processing span, so the card's later work hangs under card production's part.
        }),
      onError: onError('application-consumer'),
    });
    const integrationEvents = new CardIntegrationEvents(store, policy);
    this.relay = new Relay({
      name: 'card-production-relay',
      source: '/cancuoc/card-production',
      store,
      transport,
      mapBatch: (events) => integrationEvents.map(events),
      onError: onError('relay'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.audit.start();
    await this.relay.start();
    await this.consumer.start();
    await this.personaliser.start();
    await this.dispatcher.start();
    this.sweeper.start();
    this.stopObservingDepth = observeCardJobDepth(() => jobQueueDepth(this.db));
    // Who may call which RPC is decided before any handler runs, by the platform's one policy
    // (@cancuoc/auth); the handlers apply the grant's limit (a station: only its own leases).
    const { authenticate, refusals } = this.auth;
    // Mutual TLS with certificate files; plaintext only on loopback for the embedded platform and
    // tests (their tokens come from the development issuer), never in server mode.
    const { credentials, transport } = serverCredentialsFor({
      tls: this.config.tls,
      host: this.config.grpcHost,
      server: this.config.auth.mode === 'server',
    });
    this.grpc = await startGrpcServer({
      host: this.config.grpcHost,
      port: this.config.grpcPort,
      credentials,
      healthListener: this.config.healthListener,
      ...(this.options.logger && { logger: this.options.logger }),
      services: [
        encodingStationService({
          dispatcher: this.dispatcher,
          reports: this.reports,
          leaseMs: this.config.leaseMs,
          heartbeatMs: this.config.heartbeatMs,
          authenticate,
          refusals,
        }),
        cardProductionService({
          queries: this.queries,
          operations: this.operations,
          signers: this.signers,
          revocationList: this.revocationList,
          clock: this.clock,
          maxAttempts: this.config.maxAttempts,
          audit: this.audit,
          authenticate,
        }),
        operationsService({
          service: 'card-production',
          authenticate,
          audit: this.audit,
          eventLog: this.db,
          consumers: [this.consumer],
          transport: this.transport,
          unfinishedWork: {
            source: new UnfinishedCards(this.db),
            ...(this.config.unfinishedWorkAfterSeconds !== undefined && {
              defaultOlderThanSeconds: this.config.unfinishedWorkAfterSeconds,
            }),
          },
          clock: this.clock,
        }),
      ],
    });
    this.options.logger?.info('card-production.grpc_transport', { transport, port: this.grpc.port });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.grpc?.shutdown();
    this.stopObservingDepth?.();
    await this.dispatcher.stop();
    await this.sweeper.stop();
    await this.personaliser.stop();
    await this.consumer.stop();
    await this.relay.stop();
    await this.audit.stop();
    if (!this.options.transport) await this.transport.close();
    if (this.portraits instanceof EnrollmentPortraits) this.portraits.close();
    this.redis?.disconnect();
    await this.db.close();
  }
}

/** Card production's composition root as a Nest module: configuration in, runtime out. */
@Module({})
export class CardProductionModule {
  static forRoot(config: CardProductionConfig, options: StartOptions = {}): DynamicModule {
    return {
      module: CardProductionModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: OPTIONS, useValue: options },
        { provide: CLOCK, useValue: options.clock ?? (() => new Date()) },
        { provide: Database, useFactory: () => connect(config, options) },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db), inject: [Database] },
        { provide: REDIS, useFactory: () => redisClient(config) },
        {
          provide: BOARD,
          useFactory: (redis: Redis | undefined): LeaseBoard =>
            redis
              ? new RedisLeaseBoard(redis, {
                  keyPrefix: config.redisKeyPrefix,
                  leaseMs: config.leaseMs,
                  presenceMs: config.heartbeatMs * 3,
                })
              : new MemoryLeaseBoard(),
          inject: [REDIS],
        },
        {
          provide: TRANSPORT,
          useFactory: (db: Database) => transportFor(config, options, db),
          inject: [Database],
        },
        { provide: SIGNERS, useFactory: () => documentSigners(config, options) },
        { provide: VAULT, useFactory: () => vault(config) },
        { provide: AUTH, useFactory: () => authFor(config, options) },
        {
          provide: PORTRAITS,
          useFactory: (auth: ServiceAuth): PortraitSource =>
            options.portraits ??
            new EnrollmentPortraits({
              address: config.enrollmentAddress,
              tokens: auth.tokens,
              credentials: channelCredentialsFor(config.tls),
            }),
          inject: [AUTH],
        },
        CardProductionRuntime,
      ],
      exports: [CardProductionRuntime],
    };
  }
}
