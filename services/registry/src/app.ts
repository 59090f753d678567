import { randomInt } from 'node:crypto';
import { Database, EventStore } from '@cancuoc/eventstore';
import { bearerAuthenticator, startGrpcServer, type RunningGrpcServer } from '@cancuoc/grpc';
import { CalendarDate } from '@cancuoc/identity';
import {
  InProcessTransport,
  KafkaTransport,
  Relay,
  inProcessLogMigrations,
  type Transport,
} from '@cancuoc/messaging';
import { topicCatalogue } from '@cancuoc/proto';
import { Redis } from 'ioredis';
import { citizenProjection } from './application/citizen-projection.js';
import { Registry } from './application/registry.js';
import type { RegistryConfig } from './config.js';
import { MemoryCitizenCache, RedisCitizenCache } from './infrastructure/citizen-caches.js';
import { registryService } from './infrastructure/grpc/registry-service.js';
import { CitizenIntegrationEvents } from './infrastructure/integration-events.js';
import { registryMigrations } from './infrastructure/migrations/index.js';

export interface RunningRegistry {
  readonly registry: Registry;
  readonly grpc: RunningGrpcServer;
  readonly relay: Relay;
  readonly db: Database;
  /** Stops taking calls, finishes the calls, projection batch and relay batch in flight, and closes. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Applies pending migrations first; server deployments run them as a separate step instead. */
  readonly migrate?: boolean;
  /** A transport shared with other services in this process (embedded mode). */
  readonly transport?: Transport;
  /** Fixes the register's calendar day, for tests. */
  readonly today?: () => CalendarDate;
}

/** The registry's composition root: wires the use cases to PostgreSQL, Redis, Kafka and gRPC. */
export async function startRegistry(
  config: RegistryConfig,
  options: StartOptions = {},
): Promise<RunningRegistry> {
  const db = await Database.connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    applicationName: 'cancuoc-registry',
    migrations: [...registryMigrations, ...(config.kafkaBrokers ? [] : inProcessLogMigrations)],
  });
  const closers: Array<() => Promise<unknown>> = [() => db.close()];
  try {
    if (options.migrate ?? !config.databaseUrl) await db.migrate();
    const store = new EventStore(db);
    const redis = config.redisUrl
      ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
      : undefined;
    if (redis) {
      // An unreachable Redis is a cache miss, not an outage; ioredis keeps reconnecting meanwhile.
      redis.on('error', () => undefined);
      await redis.connect().catch(() => undefined);
      closers.unshift(async () => redis.disconnect());
    }
    const cache = redis ? new RedisCitizenCache(redis) : new MemoryCitizenCache();
    const today = options.today ?? (() => CalendarDate.fromInstant(new Date()));
    const registry = new Registry({
      store,
      cache,
      today,
      random: (max) => randomInt(max),
      staleAfterDays: config.staleAfterDays,
    });

    const transport =
      options.transport ??
      (config.kafkaBrokers
        ? new KafkaTransport({
            brokers: config.kafkaBrokers,
            clientId: 'cancuoc-registry',
            idempotent: config.kafkaIdempotent,
          })
        : await inProcess(db));
    if (!options.transport) closers.unshift(() => transport.close());

    const projection = citizenProjection(store, today);
    await projection.start();
    closers.unshift(() => projection.stop());

    const integrationEvents = new CitizenIntegrationEvents(store);
    const relay = new Relay({
      name: 'registry-relay',
      source: '/cancuoc/registry',
      store,
      transport,
      map: () => [],
      mapBatch: (events) => integrationEvents.map(events),
    });
    await relay.start();
    closers.unshift(() => relay.stop());

    const grpc = await startGrpcServer({
      host: config.grpcHost,
      port: config.grpcPort,
      services: [registryService(registry, bearerAuthenticator(config.authSecret, 'registry'))],
    });
    closers.unshift(() => grpc.shutdown());

    return {
      registry,
      grpc,
      relay,
      db,
      stop: async () => {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}

async function inProcess(db: Database): Promise<InProcessTransport> {
  const transport = new InProcessTransport({ db });
  await transport.createTopics(
    topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
  );
  return transport;
}
