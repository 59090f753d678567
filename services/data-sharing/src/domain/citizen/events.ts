import type { DomainEvent } from '@cancuoc/eventstore';
import type { CardFacts, EnrolmentFacts, RecordFacts } from './facts.js';

/**
 * What data sharing received, recorded in its own event store (stream `citizen-<citizen id>`) in
 * the transaction of the consumer's inbox row. Recording them, rather than projecting straight from
 * Kafka, is what lets every projection be rebuilt after the source topics' retention has passed.
 */
export type RegistryRecordReceived = DomainEvent<
  'RegistryRecordReceived',
  { readonly recordVersion: number; readonly record: RecordFacts }
>;
export type CardReceived = DomainEvent<'CardReceived', { readonly card: CardFacts }>;
export type EnrolmentReceived = DomainEvent<'EnrolmentReceived', { readonly enrolment: EnrolmentFacts }>;

export type ReceivedEvent = RegistryRecordReceived | CardReceived | EnrolmentReceived;

export const RECEIVED_EVENT_TYPES: readonly ReceivedEvent['type'][] = [
  'RegistryRecordReceived',
  'CardReceived',
  'EnrolmentReceived',
];

export const citizenStreamId = (citizenId: string) => `citizen-${citizenId}`;
export const CITIZEN_STREAM_PREFIX = 'citizen-';
