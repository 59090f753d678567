import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import { AuthConfigError, serviceAuth, type ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore } from '@cancuoc/eventstore';
import {
  channelCredentialsFor,
  serverCredentialsFor,
  startGrpcServer,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import {
  InProcessTransport,
  KafkaTransport,
  Relay,
  inProcessLogMigrations,
  type IdempotentConsumer,
  type Transport,
} from '@cancuoc/messaging';
import type { Logger } from '@cancuoc/observability';
import { topicCatalogue } from '@cancuoc/proto';
import { operationsService } from '@cancuoc/operations';
import { Redis } from 'ioredis';
import { BiometricVault } from './application/biometric-vault.js';
import { Enrollment } from './application/enrollment.js';
import { Reprocessor } from './application/pipeline.js';
import { UnfinishedApplications } from './application/unfinished-work.js';
import type { DuplicateMatcher, KeyProvider, RateLimiter, RegisterPort } from './application/ports.js';
import { asConfigError, ConfigError, type EnrollmentConfig, type StorageConfig } from './config.js';
import { cardChangesConsumer } from './infrastructure/card-events.js';
import { enrollmentService } from './infrastructure/grpc/enrollment-service.js';
import { personalisationService } from './infrastructure/grpc/personalisation-service.js';
import { PortraitDecoder } from './infrastructure/images/image-decoder.js';
import { ApplicationIntegrationEvents } from './infrastructure/integration-events.js';
import { LocalKeyProvider } from './infrastructure/keys/local-key-provider.js';
import { BuiltInMatcher } from './infrastructure/matcher/built-in-matcher.js';
import { enrollmentMigrations } from './infrastructure/migrations/index.js';
import { MemoryRateLimiter, RedisRateLimiter } from './infrastructure/rate-limits/rate-limiters.js';
import { RegistryRegister } from './infrastructure/registry/registry-register.js';

export interface StartOptions {
  /** Applies pending migrations first; server deployments run them as a separate step instead. */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode); the caller closes it. */
  readonly transport?: Transport;
  /** The service's clock, for tests. */
  readonly clock?: () => Date;
  /** Where a KMS or HSM plugs in; without it the local provider on `config.masterKeys`. */
  readonly keyProvider?: KeyProvider;
  /** Where an ABIS plugs in; without it the built-in minutiae matcher. */
  readonly matcher?: (builtIn: DuplicateMatcher) => DuplicateMatcher;
  /** Told about failures in background work (errors only, no personal data). */
  readonly onError?: (error: unknown) => void;
  /** The service's logger: the transport it listens with, refused calls (`auth.refused`). */
  readonly logger?: Logger;
}

export const CONFIG = Symbol('EnrollmentConfig');
export const OPTIONS = Symbol('StartOptions');
export const REDIS = Symbol('Redis');
export const TRANSPORT = Symbol('Transport');
export const REGISTER = Symbol('Register');
export const CLOCK = Symbol('Clock');
export const AUTH = Symbol('ServiceAuth');

function open(config: StorageConfig): Promise<Database> {
  return Database.connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    applicationName: 'cancuoc-enrollment',
    migrations: [
      ...enrollmentMigrations,
      ...auditMigrations,
      ...(config.kafkaBrokers ? [] : inProcessLogMigrations),
    ],
  });
}

/** Applies pending migrations and closes; the names of those applied. */
export async function migrateEnrollmentDatabase(config: StorageConfig): Promise<readonly string[]> {
  const db = await open(config);
  try {
    return await db.migrate();
  } finally {
    await db.close();
  }
}

async function connect(config: EnrollmentConfig, options: StartOptions): Promise<Database> {
  const db = await open(config);
  try {
    if (options.migrate ?? !config.databaseUrl) await db.migrate();
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Enrollment's token verification, authorization policy and own tokens; a bad key file is a configuration error. */
async function authFor(config: EnrollmentConfig, options: StartOptions): Promise<ServiceAuth> {
  try {
    return await serviceAuth(config.auth, 'enrollment', {
      ...(options.logger && { logger: options.logger }),
    });
  } catch (error) {
    if (error instanceof AuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

async function redisClient(config: EnrollmentConfig): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  // Redis down only lifts the rate limits; ioredis keeps reconnecting meanwhile.
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  return redis;
}

async function transportFor(
  config: EnrollmentConfig,
  options: StartOptions,
  db: Database,
): Promise<Transport> {
  if (options.transport) return options.transport;
  if (config.kafkaBrokers) {
    return new KafkaTransport({
      brokers: config.kafkaBrokers,
      clientId: 'cancuoc-enrollment',
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
 * What runs in the background of enrollment and in which order it starts and stops: the audit
 * sealer, the relay, the card-events consumer and the re-processor, then the gRPC server; on
 * shutdown the server first (no new calls, in-flight calls finish), then the background work
 * finishes its batch, then the connections close.
 */
@Injectable()
export class EnrollmentRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  grpc: RunningGrpcServer | undefined;
  readonly relay: Relay;
  readonly reprocessor: Reprocessor;
  readonly consumer: IdempotentConsumer;

  constructor(
    @Inject(CONFIG) private readonly config: EnrollmentConfig,
    @Inject(OPTIONS) private readonly options: StartOptions,
    @Inject(CLOCK) private readonly clock: () => Date,
    @Inject(Database) readonly db: Database,
    @Inject(EventStore) store: EventStore,
    @Inject(Enrollment) readonly enrollment: Enrollment,
    @Inject(AuditLog) readonly audit: AuditLog,
    @Inject(TRANSPORT) private readonly transport: Transport,
    @Inject(REDIS) private readonly redis: Redis | undefined,
    @Inject(REGISTER) private readonly register: RegistryRegister,
    @Inject(AUTH) private readonly auth: ServiceAuth,
  ) {
    const integrationEvents = new ApplicationIntegrationEvents(store);
    this.relay = new Relay({
      name: 'enrollment-relay',
      source: '/cancuoc/enrollment',
      store,
      transport,
      mapBatch: (events) => integrationEvents.map(events),
      ...(options.onError && { onError: options.onError }),
    });
    this.consumer = cardChangesConsumer(enrollment, db, transport, options.onError);
    this.reprocessor = new Reprocessor(enrollment, db, {
      pollIntervalMs: config.reprocessIntervalMs,
      ...(options.onError && { onError: options.onError }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.audit.start();
    await this.relay.start();
    await this.consumer.start();
    await this.reprocessor.start();
    const { authenticate } = this.auth;
    // Mutual TLS with certificate files; plaintext only for the embedded platform and tests on
    // loopback (their tokens come from the development issuer), never in server mode.
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
      ...(this.options.logger && { logger: this.options.logger }),
      services: [
        enrollmentService(
          this.enrollment,
          this.auth,
          { maxFaceBytes: this.config.maxFaceBytes, maxFingerprintBytes: this.config.maxFingerprintBytes },
          this.clock,
        ),
        personalisationService(this.enrollment, this.auth),
        operationsService({
          service: 'enrollment',
          authenticate,
          audit: this.audit,
          eventLog: this.db,
          consumers: [this.consumer],
          transport: this.transport,
          unfinishedWork: {
            source: new UnfinishedApplications(this.db),
            ...(this.config.unfinishedWorkAfterSeconds !== undefined && {
              defaultOlderThanSeconds: this.config.unfinishedWorkAfterSeconds,
            }),
          },
          clock: this.clock,
        }),
      ],
    });
    this.options.logger?.info('enrollment.grpc_transport', { transport, port: this.grpc.port });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.grpc?.shutdown();
    await this.reprocessor.stop();
    await this.consumer.stop();
    await this.relay.stop();
    await this.audit.stop();
    this.register.close();
    if (!this.options.transport) await this.transport.close();
    this.redis?.disconnect();
    await this.db.close();
  }
}

/** Enrollment's composition root as a Nest module: configuration in, use cases and runtime out. */
@Module({})
export class EnrollmentModule {
  static forRoot(config: EnrollmentConfig, options: StartOptions = {}): DynamicModule {
    const clock = options.clock ?? (() => new Date());
    return {
      module: EnrollmentModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: OPTIONS, useValue: options },
        { provide: CLOCK, useValue: clock },
        { provide: Database, useFactory: () => connect(config, options) },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db), inject: [Database] },
        {
          provide: AuditLog,
          useFactory: (db: Database) =>
            new AuditLog(db, { chain: 'enrollment', ...(options.onError && { onError: options.onError }) }),
          inject: [Database],
        },
        { provide: AUTH, useFactory: () => authFor(config, options) },
        { provide: REDIS, useFactory: () => redisClient(config) },
        {
          provide: TRANSPORT,
          useFactory: (db: Database) => transportFor(config, options, db),
          inject: [Database],
        },
        {
          provide: REGISTER,
          useFactory: (auth: ServiceAuth) =>
            new RegistryRegister({
              address: config.registryAddress,
              tokens: auth.tokens,
              credentials: asConfigError(() => channelCredentialsFor(config.tls)),
            }),
          inject: [AUTH],
        },
        {
          provide: BiometricVault,
          useFactory: () =>
            new BiometricVault(options.keyProvider ?? new LocalKeyProvider(config.masterKeys)),
        },
        {
          provide: Enrollment,
          useFactory: (
            store: EventStore,
            audit: AuditLog,
            vault: BiometricVault,
            register: RegisterPort,
            redis: Redis | undefined,
          ) => {
            // The index secret is wrapped by the same master keys as the biometrics' data keys.
            const masterKeys = options.keyProvider ?? new LocalKeyProvider(config.masterKeys);
            const builtIn = new BuiltInMatcher(store.db, vault, audit, masterKeys);
            const rateLimiter: RateLimiter = redis ? new RedisRateLimiter(redis) : new MemoryRateLimiter();
            return new Enrollment({
              store,
              register,
              vault,
              matcher: options.matcher ? options.matcher(builtIn) : builtIn,
              images: new PortraitDecoder(),
              audit,
              rateLimiter,
              startsPerMinute: config.startsPerMinute,
              clock,
              retry: { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs },
              stuckAfterMs: config.stuckAfterMs,
            });
          },
          inject: [EventStore, AuditLog, BiometricVault, REGISTER, REDIS],
        },
        EnrollmentRuntime,
      ],
      exports: [EnrollmentRuntime],
    };
  }
}
