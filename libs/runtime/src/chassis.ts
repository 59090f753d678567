import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { AuditLog } from '@cancuoc/audit';
import { serviceAuth, type ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore } from '@cancuoc/eventstore';
import {
  serverCredentialsFor,
  startGrpcServer,
  type RunningGrpcServer,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import {
  InProcessTransport,
  KafkaTransport,
  inProcessLogMigrations,
  type Transport,
} from '@cancuoc/messaging';
import { createLogger, type Logger } from '@cancuoc/observability';
import { operationsMigrations, operationsService, type OperationsServiceOptions } from '@cancuoc/operations';
import { topicCatalogue } from '@cancuoc/proto';
import { Redis } from 'ioredis';
import { asConfigError, configErrorOf, type ServiceBaseConfig, type StorageConfig } from './config.js';

/** What the launcher (the embedded platform, a test) hands a service when it starts it. */
export interface ServiceStartOptions {
  /** Applies pending migrations first; default: when embedded (no `databaseUrl`). */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode); the caller closes it. */
  readonly transport?: Transport;
  /** Fixes the calendar day, for tests. */
  readonly today?: () => CalendarDate;
  /** Where the service logs. Default: `createLogger({ service })`, JSON lines with trace ids. */
  readonly logger?: Logger;
}

/**
 * Work a service runs beside its gRPC server: a relay, a projection, a consumer, a sweeper. The
 * chassis starts the service's components in the order it lists them, after migrations and before
 * the gRPC server, and stops them in reverse after the server has drained.
 */
export interface BackgroundComponent {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** `target` (a `Relay`, a `Subscription`, an `IdempotentConsumer`, …) as a named component. */
export function backgroundComponent<
  T extends { start(): Promise<void> | void; stop(): Promise<void> | void },
>(name: string, target: T): BackgroundComponent & { readonly target: T } {
  return { name, target, start: () => target.start(), stop: () => target.stop() };
}

type Migrations = NonNullable<Parameters<typeof Database.connect>[0]>['migrations'];

/** What a service tells the chassis about itself. */
export interface ServiceChassisSpec {
  /** `registry`, `data-sharing`, …: the token audience, log lines' `service`, the Kafka client id. */
  readonly name: string;
  readonly config: ServiceBaseConfig;
  readonly options: ServiceStartOptions;
  /** The service's own migrations; the operations' and (without Kafka) the in-process log's are added. */
  readonly migrations: Migrations;
  /** Tokens of the service's {@link BackgroundComponent}s, in start order. */
  readonly components: readonly InjectionToken[];
}

/** The service's configuration as it was given (its own type: inject it as that). */
export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const START_OPTIONS = Symbol('ServiceStartOptions');
export const LOGGER = Symbol('Logger');
export const AUTH = Symbol('ServiceAuth');
/** The service's calendar day (`() => CalendarDate`), Vietnam's unless a test fixes it. */
export const TODAY = Symbol('Today');
/** `Redis | undefined`: undefined without `REDIS_URL`, and each use then falls back to memory. */
export const REDIS = Symbol('Redis');
export const TRANSPORT = Symbol('Transport');
/** Provided by the service: its own gRPC services (`ServiceRegistration[]`). */
export const GRPC_SERVICES = Symbol('GrpcServices');
/** Provided by the service, optionally: the projections and consumers the operations RPCs show. */
export const OPERATED = Symbol('Operated');
export type Operated = Pick<OperationsServiceOptions, 'projections' | 'consumers'>;
const SPEC = Symbol('ServiceChassisSpec');

/** Opens the service's database (PGlite in `dataDir`, or the server), its migrations known. */
export function openServiceDatabase(
  spec: Pick<ServiceChassisSpec, 'name' | 'migrations'>,
  storage: StorageConfig,
): Promise<Database> {
  return Database.connect({
    databaseUrl: storage.databaseUrl,
    dataDir: storage.dataDir,
    applicationName: `cancuoc-${spec.name}`,
    migrations: [
      ...(spec.migrations ?? []),
      ...operationsMigrations,
      ...(storage.kafkaBrokers ? [] : inProcessLogMigrations),
    ],
  });
}

/** Applies pending migrations and closes: the names applied (`main.js migrate`). */
export async function migrateServiceDatabase(
  spec: Pick<ServiceChassisSpec, 'name' | 'migrations'>,
  storage: StorageConfig,
): Promise<readonly string[]> {
  const db = await openServiceDatabase(spec, storage);
  try {
    return await db.migrate();
  } finally {
    await db.close();
  }
}

async function connect(spec: ServiceChassisSpec): Promise<Database> {
  const db = await openServiceDatabase(spec, spec.config);
  try {
    if (spec.options.migrate ?? !spec.config.databaseUrl) await db.migrate();
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function redisClient(config: ServiceBaseConfig): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  // Redis is never the source of truth (caches, counters, idempotency results): while it is away
  // each use degrades, and ioredis keeps reconnecting meanwhile.
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  return redis;
}

async function transportFor(spec: ServiceChassisSpec, db: Database): Promise<Transport> {
  const { config, options } = spec;
  const transport =
    options.transport ??
    (config.kafkaBrokers
      ? new KafkaTransport({
          brokers: config.kafkaBrokers,
          clientId: `cancuoc-${spec.name}`,
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

/**
 * The service's lifecycle. Start (Nest's bootstrap hook, after every provider — the migrated
 * database among them — exists): the audit sealer, the components in order, then the gRPC server.
 * Stop (Nest's shutdown hook): the server drains first, the components stop in reverse, then the
 * audit sealer, the transport (unless shared), Redis and the database close. A start that fails
 * stops what it started and closes the connections before the error goes on.
 */
@Injectable()
export class ServiceChassis implements OnApplicationBootstrap, OnApplicationShutdown {
  grpc: RunningGrpcServer | undefined;
  private readonly started: BackgroundComponent[] = [];
  private closed = false;

  constructor(
    @Inject(SPEC) private readonly spec: ServiceChassisSpec,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(LOGGER) readonly logger: Logger,
    @Inject(AUTH) readonly auth: ServiceAuth,
    @Inject(Database) readonly db: Database,
    @Inject(EventStore) readonly store: EventStore,
    @Inject(TRANSPORT) readonly transport: Transport,
    @Inject(REDIS) private readonly redis: Redis | undefined,
    @Inject(AuditLog) readonly audit: AuditLog,
  ) {}

  private find<T>(token: InjectionToken): T | undefined {
    try {
      return this.moduleRef.get<T>(token, { strict: false });
    } catch {
      return undefined;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    let starting = 'audit';
    try {
      this.audit.start();
      for (const token of this.spec.components) {
        const component = this.moduleRef.get<BackgroundComponent>(token, { strict: false });
        starting = component.name;
        await component.start();
        this.started.push(component);
      }
      starting = 'grpc';
      this.grpc = await this.serve();
    } catch (error) {
      this.logger.error('service.start_failed', { component: starting, error });
      await this.onApplicationShutdown();
      throw error;
    }
  }

  private async serve(): Promise<RunningGrpcServer> {
    const { config, name } = this.spec;
    // Mutual TLS with certificate files; plaintext only on loopback, and never in server mode.
    const { credentials, transport } = asConfigError(() =>
      serverCredentialsFor({ tls: config.tls, host: config.grpcHost, server: config.auth.mode === 'server' }),
    );
    const operated = this.find<Operated>(OPERATED) ?? {};
    const grpc = await startGrpcServer({
      host: config.grpcHost,
      port: config.grpcPort,
      credentials,
      healthListener: config.healthListener,
      logger: this.logger,
      services: [
        ...(this.find<readonly ServiceRegistration[]>(GRPC_SERVICES) ?? []),
        operationsService({
          service: name,
          authenticate: this.auth.authenticate,
          audit: this.audit,
          eventLog: this.db,
          projections: operated.projections,
          consumers: operated.consumers,
          transport: this.transport,
        }),
      ],
    });
    this.logger.info('grpc.listening', { port: grpc.port, transport, 'auth.audience': this.auth.audience });
    return grpc;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.grpc?.shutdown();
    for (const component of this.started.reverse()) await component.stop();
    await this.audit.stop();
    if (!this.spec.options.transport) await this.transport.close();
    this.redis?.disconnect();
    await this.db.close();
  }
}

/**
 * The chassis every service imports: configuration, logger, auth, database, event store, transport,
 * Redis, audit log and clock under the tokens above, and the {@link ServiceChassis} lifecycle. The
 * service's own module provides its use cases, its {@link BackgroundComponent}s (listed in
 * `components`), its gRPC services ({@link GRPC_SERVICES}) and what the operations RPCs show
 * ({@link OPERATED}).
 */
@Module({})
export class ServiceChassisModule {
  static forService(spec: ServiceChassisSpec): DynamicModule {
    const { config, options, name } = spec;
    const tokens = [SERVICE_CONFIG, START_OPTIONS, LOGGER, AUTH, TODAY, REDIS, TRANSPORT];
    return {
      module: ServiceChassisModule,
      providers: [
        { provide: SPEC, useValue: spec },
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: START_OPTIONS, useValue: options },
        { provide: LOGGER, useValue: options.logger ?? createLogger({ service: name }) },
        {
          provide: AUTH,
          useFactory: (logger: Logger) =>
            serviceAuth(config.auth, name, { logger }).catch((error: unknown) => {
              throw configErrorOf(error);
            }),
          inject: [LOGGER],
        },
        { provide: TODAY, useValue: options.today ?? (() => CalendarDate.fromInstant(new Date())) },
        // After auth: a refused credential stops the start before anything is opened.
        { provide: Database, useFactory: () => connect(spec), inject: [AUTH] },
        { provide: EventStore, useFactory: (db: Database) => new EventStore(db), inject: [Database] },
        { provide: REDIS, useFactory: () => redisClient(config), inject: [Database] },
        { provide: TRANSPORT, useFactory: (db: Database) => transportFor(spec, db), inject: [Database] },
        {
          provide: AuditLog,
          useFactory: (db: Database, logger: Logger) =>
            new AuditLog(db, {
              chain: name,
              onError: (error) => logger.error('audit.seal_failed', { error }),
            }),
          inject: [Database, LOGGER],
        },
        ServiceChassis,
      ],
      exports: [...tokens, Database, EventStore, AuditLog, ServiceChassis],
    };
  }
}

/** A started service: its chassis, and any of its providers by token. */
export interface StartedService {
  readonly chassis: ServiceChassis;
  readonly grpc: RunningGrpcServer;
  get<T>(token: InjectionToken): T;
  /** Nest's shutdown: the chassis' stop order above. */
  stop(): Promise<void>;
}

/** Creates the Nest application context of a service module and starts it. */
export async function startService(module: DynamicModule): Promise<StartedService> {
  const app = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
  const chassis = app.get(ServiceChassis, { strict: false });
  return {
    chassis,
    grpc: chassis.grpc!,
    get: <T>(token: InjectionToken) => app.get<T>(token, { strict: false }),
    stop: () => app.close(),
  };
}
