import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@cancuoc/audit';
import type { ServiceAuth } from '@cancuoc/auth';
import { Database, EventStore } from '@cancuoc/eventstore';
import type { IdempotencyStore } from '@cancuoc/grpc';
import type { CalendarDate } from '@cancuoc/identity';
import type { IdempotentConsumer } from '@cancuoc/messaging';
import {
  AUTH,
  GRPC_SERVICES,
  OPERATED,
  ServiceChassisModule,
  TODAY,
  type Operated,
  type ServiceStartOptions,
} from '@cancuoc/runtime';
import { AgencyQueries } from './application/agency-queries.js';
import { DisclosureReports } from './application/disclosures.js';
import { Operations } from './application/operations.js';
import { operatorProjections } from './application/operator-projections.js';
import type { DeliveryGate, PartnerTopics, RateLimiter } from './application/ports.js';
import { ProjectionPositions } from './application/positions.js';
import { Subscriptions } from './application/subscriptions.js';
import { backgroundProviders, COMPONENTS, GATE, INBOUND, TOPICS } from './background.js';
import type { DataSharingConfig } from './config.js';
import { counterKey } from './infrastructure/counter-key.js';
import { agencyQueryService } from './infrastructure/grpc/agency-query-service.js';
import { dataProtectionService } from './infrastructure/grpc/data-protection-service.js';
import { operationsService } from './infrastructure/grpc/operations-service.js';
import { subscriptionService } from './infrastructure/grpc/subscription-service.js';
import { dataSharingMigrations } from './infrastructure/migrations/index.js';
import { IDEMPOTENCY, LIMITER, redisStoreProviders } from './redis-stores.js';

export { INBOUND_GROUP, INBOUND_TOPICS } from './background.js';

export type StartOptions = ServiceStartOptions;

/**
 * Data sharing's own part of its composition: its use cases, gRPC services and background loops
 * (background.ts); the rest (database, transport, Redis, audit, auth, start and stop order) is the
 * chassis'.
 */
@Module({})
export class DataSharingModule {
  static forRoot(config: DataSharingConfig, options: StartOptions = {}): DynamicModule {
    return {
      module: DataSharingModule,
      imports: [
        ServiceChassisModule.forService({
          name: 'data-sharing',
          config,
          options,
          migrations: dataSharingMigrations,
          components: COMPONENTS,
        }),
      ],
      providers: [
        ...backgroundProviders,
        ...redisStoreProviders(config.redisKeyPrefix),
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
          useFactory: (
            store: EventStore,
            gate: { target: DeliveryGate },
            topics: { target: PartnerTopics },
          ) => new Subscriptions({ store, gate: gate.target, topics: topics.target }),
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
        {
          provide: GRPC_SERVICES,
          // Every RPC of every service goes through the one guard: token, client certificate, policy.
          useFactory: (
            auth: ServiceAuth,
            idempotency: IdempotencyStore,
            audit: AuditLog,
            queries: AgencyQueries,
            subscriptions: Subscriptions,
            reports: DisclosureReports,
            operations: Operations,
          ) => [
            agencyQueryService(queries, auth),
            subscriptionService(subscriptions, auth.authenticate, idempotency),
            dataProtectionService(reports, audit, auth.authenticate),
            operationsService(operations, auth.authenticate),
          ],
          inject: [AUTH, IDEMPOTENCY, AuditLog, AgencyQueries, Subscriptions, DisclosureReports, Operations],
        },
        {
          provide: OPERATED,
          useFactory: (
            store: EventStore,
            operations: Operations,
            inbound: { target: IdempotentConsumer },
          ): Operated => ({
            projections: operatorProjections(store, operations),
            consumers: [inbound.target],
          }),
          inject: [EventStore, Operations, INBOUND],
        },
      ],
    };
  }
}
