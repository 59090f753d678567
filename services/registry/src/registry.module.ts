import 'reflect-metadata';
import { randomInt } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import type { ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore } from '@cancuoc/eventstore';
import type { CalendarDate } from '@cancuoc/identity';
import { Relay, type IdempotentConsumer, type Transport } from '@cancuoc/messaging';
import type { Logger } from '@cancuoc/observability';
import { eventStoreProjection } from '@cancuoc/operations';
import {
  AUTH,
  backgroundComponent,
  GRPC_SERVICES,
  LOGGER,
  OPERATED,
  REDIS,
  ServiceChassisModule,
  TODAY,
  TRANSPORT,
  type Operated,
  type ServiceStartOptions,
} from '@cancuoc/runtime';
import type { Redis } from 'ioredis';
import { CITIZEN_PROJECTION, citizenProjection } from './application/citizen-projection.js';
import type { CitizenCache } from './application/ports.js';
import { Registry } from './application/registry.js';
import type { RegistryConfig } from './config.js';
import { MemoryCitizenCache, RedisCitizenCache } from './infrastructure/citizen-caches.js';
import { CARD_CONSUMER, cardChangesConsumer } from './infrastructure/card-events.js';
import { registryService } from './infrastructure/grpc/registry-service.js';
import { CitizenIntegrationEvents } from './infrastructure/integration-events.js';
import { registryMigrations } from './infrastructure/migrations/index.js';

export type StartOptions = ServiceStartOptions;

/** The registry's own migrations; the chassis adds the operations' and the in-process log's. */
export const REGISTRY_MIGRATIONS = [...registryMigrations, ...auditMigrations];

const CACHE = Symbol('CitizenCache');
const PROJECTION = Symbol('CitizenProjection');
export const RELAY = Symbol('RegistryRelay');
const CARDS = Symbol('CardChangesConsumer');

/**
 * The registry's own part of its composition; the rest (database, transport, Redis, audit, auth,
 * the start and stop order) is the chassis'. Background work starts in this order: the citizen
 * projection, the relay, the consumer of card changes.
 */
@Module({})
export class RegistryModule {
  static forRoot(config: RegistryConfig, options: StartOptions = {}): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        ServiceChassisModule.forService({
          name: 'registry',
          config,
          options,
          migrations: REGISTRY_MIGRATIONS,
          components: [PROJECTION, RELAY, CARDS],
        }),
      ],
      providers: [
        {
          provide: CACHE,
          useFactory: (redis: Redis | undefined): CitizenCache =>
            redis ? new RedisCitizenCache(redis) : new MemoryCitizenCache(),
          inject: [REDIS],
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
        {
          provide: PROJECTION,
          // A failing batch is retried with backoff; the log says so, with the error's class only.
          useFactory: (store: EventStore, today: () => CalendarDate, logger: Logger) =>
            backgroundComponent(
              CITIZEN_PROJECTION,
              citizenProjection(store, today, (error) =>
                logger.warn('projection.batch_failed', { subscription: CITIZEN_PROJECTION, error }),
              ),
            ),
          inject: [EventStore, TODAY, LOGGER],
        },
        {
          provide: RELAY,
          useFactory: (store: EventStore, transport: Transport, logger: Logger) => {
            const integrationEvents = new CitizenIntegrationEvents(store);
            return backgroundComponent(
              'registry-relay',
              new Relay({
                name: 'registry-relay',
                source: '/cancuoc/registry',
                store,
                transport,
                mapBatch: (events) => integrationEvents.map(events),
                onError: (error) => logger.warn('relay.batch_failed', { relay: 'registry-relay', error }),
              }),
            );
          },
          inject: [EventStore, TRANSPORT, LOGGER],
        },
        {
          provide: CARDS,
          useFactory: (db: Database, transport: Transport, logger: Logger) =>
            backgroundComponent(
              CARD_CONSUMER,
              cardChangesConsumer(db, transport, (error) =>
                logger.warn('consumer.failed', { subscriber: CARD_CONSUMER, error }),
              ),
            ),
          inject: [Database, TRANSPORT, LOGGER],
        },
        {
          provide: GRPC_SERVICES,
          useFactory: (registry: Registry, auth: ServiceAuth) => [registryService(registry, auth)],
          inject: [Registry, AUTH],
        },
        {
          provide: OPERATED,
          useFactory: (store: EventStore, cards: { target: IdempotentConsumer }): Operated => ({
            projections: [
              eventStoreProjection({
                store,
                subscription: CITIZEN_PROJECTION,
                description: 'reg_citizens and reg_quality_flags: search and data quality',
              }),
            ],
            consumers: [cards.target],
          }),
          inject: [EventStore, CARDS],
        },
      ],
    };
  }
}
