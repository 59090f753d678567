import type { Provider } from '@nestjs/common';
import { AuditLog } from '@cancuoc/audit';
import { Database, EventStore } from '@cancuoc/eventstore';
import type { CalendarDate } from '@cancuoc/identity';
import { IdempotentConsumer, InProcessTransport, type Transport } from '@cancuoc/messaging';
import type { Logger } from '@cancuoc/observability';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
  REGISTRY_CITIZEN_TOPIC,
} from '@cancuoc/proto';
import {
  backgroundComponent,
  LOGGER,
  type BackgroundComponent,
  SERVICE_CONFIG,
  TODAY,
  TRANSPORT,
} from '@cancuoc/runtime';
import { CITIZEN_PROJECTION, citizenProjection } from './application/citizen-projection.js';
import { DeliveryPublisher } from './application/delivery/publisher.js';
import { recordReceived } from './application/ingest.js';
import type { DeliveryGate, PartnerTopics } from './application/ports.js';
import { ProjectionPositions } from './application/positions.js';
import { BackfillRunner } from './application/views/backfill-runner.js';
import type { DataSharingConfig } from './config.js';
import { LocalDeliveryGate } from './infrastructure/delivery/local-gate.js';
import { InProcessPartnerTopics, KafkaPartnerTopics } from './infrastructure/delivery/partner-topics.js';
import { PgDeliveryGate } from './infrastructure/delivery/pg-gate.js';
import { INBOUND_TYPES, receivedEvent } from './infrastructure/inbound/mapping.js';
import { decodeCitizen, encodeDisclosure, sharedFieldsOf } from './infrastructure/partner/codec.js';
import { partnerRecords } from './infrastructure/partner/records.js';

/** The consumer group of the inbound events. */
export const INBOUND_GROUP = 'data-sharing.citizens';

/** The events data sharing consumes. */
export const INBOUND_TOPICS = [
  REGISTRY_CITIZEN_TOPIC,
  CARD_PRODUCTION_CARD_TOPIC,
  ENROLLMENT_APPLICATION_TOPIC,
].map((t) => t.name);

export const GATE = Symbol('DeliveryGate');
export const TOPICS = Symbol('PartnerTopics');
export const INBOUND = Symbol('InboundConsumer');
const POSITIONS = Symbol('PositionsComponent');
const PROJECTION = Symbol('CitizenProjection');
const BACKFILLS = Symbol('BackfillRunner');
const PUBLISHER = Symbol('DeliveryPublisher');

/** Data sharing's background components, in start order (they stop in reverse). */
export const COMPONENTS = [GATE, TOPICS, POSITIONS, PROJECTION, BACKFILLS, PUBLISHER, INBOUND];

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

/** A connection that only closes: it stops after the loops that use it. */
const closing = <T extends { close?(): Promise<void> }>(
  name: string,
  target: T,
): BackgroundComponent & { readonly target: T } => ({
  name,
  target,
  start: () => undefined,
  stop: () => target.close?.(),
});

const failed = (logger: Logger, event: string) => (error: unknown) => logger.error(event, { error });

/** The delivery gate, partner topics and loops of data sharing, as the chassis starts and stops them. */
export const backgroundProviders: Provider[] = [
  {
    provide: GATE,
    useFactory: (config: DataSharingConfig, db: Database) =>
      closing<DeliveryGate>(
        'delivery-gate',
        config.databaseUrl ? new PgDeliveryGate(config.databaseUrl, db) : new LocalDeliveryGate(),
      ),
    inject: [SERVICE_CONFIG, Database],
  },
  {
    provide: TOPICS,
    useFactory: (config: DataSharingConfig, transport: Transport) =>
      closing('partner-topics', topicsFor(config, transport)),
    inject: [SERVICE_CONFIG, TRANSPORT],
  },
  {
    provide: ProjectionPositions,
    useFactory: (db: Database) => new ProjectionPositions(db),
    inject: [Database],
  },
  {
    provide: POSITIONS,
    useFactory: (positions: ProjectionPositions) => backgroundComponent('projection-positions', positions),
    inject: [ProjectionPositions],
  },
  {
    provide: PROJECTION,
    useFactory: (store: EventStore, today: () => CalendarDate, logger: Logger) =>
      backgroundComponent(
        CITIZEN_PROJECTION,
        citizenProjection({
          store,
          encode: encodeDisclosure,
          today,
          onError: failed(logger, 'projection.batch_failed'),
        }),
      ),
    inject: [EventStore, TODAY, LOGGER],
  },
  {
    provide: BACKFILLS,
    useFactory: (config: DataSharingConfig, db: Database, today: () => CalendarDate, logger: Logger) =>
      backgroundComponent(
        'backfills',
        new BackfillRunner({
          db,
          encode: encodeDisclosure,
          today,
          batchSize: config.backfillBatchSize,
          onError: failed(logger, 'backfill.batch_failed'),
        }),
      ),
    inject: [SERVICE_CONFIG, Database, TODAY, LOGGER],
  },
  {
    provide: PUBLISHER,
    useFactory: (
      config: DataSharingConfig,
      db: Database,
      transport: Transport,
      gate: { target: DeliveryGate },
      topics: { target: PartnerTopics },
      audit: AuditLog,
      logger: Logger,
    ) =>
      backgroundComponent(
        'delivery',
        new DeliveryPublisher({
          db,
          transport,
          gate: gate.target,
          topics: topics.target,
          audit,
          recordsOf: partnerRecords,
          batchSize: config.deliveryBatchSize,
          fieldsOf: (payload) => sharedFieldsOf(decodeCitizen(payload)),
          logger,
          onError: failed(logger, 'delivery.batch_failed'),
        }),
      ),
    inject: [SERVICE_CONFIG, Database, TRANSPORT, GATE, TOPICS, AuditLog, LOGGER],
  },
  {
    provide: INBOUND,
    useFactory: (db: Database, store: EventStore, transport: Transport, logger: Logger) =>
      backgroundComponent(
        INBOUND_GROUP,
        new IdempotentConsumer({
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
            logger.error('inbound.record_failed', {
              error,
              topic: record.topic,
              partition: record.partition,
            }),
        }),
      ),
    inject: [Database, EventStore, TRANSPORT, LOGGER],
  },
];
