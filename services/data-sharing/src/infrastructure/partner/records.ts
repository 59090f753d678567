import { createHash } from 'node:crypto';
import { create, type DescMessage, type Message } from '@bufbuild/protobuf';
import { toKafkaRecord, type OutgoingRecord } from '@cancuoc/messaging';
import { partner, partnerTopicsOf } from '@cancuoc/proto';
import { changeMessage } from './codec.js';

export const PARTNER_SOURCE = '/cancuoc/data-sharing';
/** Header with the projection position a record reflects; AgencyQueryService reads can ask for it. */
export const POSITION_HEADER = 'cancuoc_position';

/** One citizen's delivery to one agency: what it holds now and what it should hold. */
export interface Delivery {
  readonly agency: string;
  readonly citizenId: string;
  /** What the agency was sent last (null: nothing, or a tombstone). */
  readonly previous: Uint8Array | null;
  /** What it should hold (null: nothing — a tombstone). */
  readonly next: Uint8Array | null;
  /** This delivery's number among the citizen's deliveries to the agency, from 1. */
  readonly sequence: number;
  readonly position: bigint;
  /** When the change the agency is told about happened. */
  readonly changedAt: Date;
}

/**
 * A stable CloudEvents id per (agency, citizen, sequence, topic): a delivery sent again after a
 * crash carries the same id, so an agency can recognise the duplicate.
 */
function eventId(delivery: Delivery, topic: string): string {
  const h = createHash('sha256')
    .update(`${delivery.agency}\u0000${delivery.citizenId}\u0000${delivery.sequence}\u0000${topic}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The records of one delivery, CloudEvents in binary mode: on the compacted topic the citizen's
 * record (or a tombstone: null value, same headers), on the change stream what changed. The
 * headers hold nothing of the register's internals (no record version, trace or causation id):
 * only this agency's own sequence and the projection position.
 */
export function partnerRecords(delivery: Delivery): OutgoingRecord[] {
  const [citizenTopic, changesTopic] = partnerTopicsOf(delivery.agency);
  const record = (topic: string, schema: DescMessage, data: Message): OutgoingRecord => {
    const built = toKafkaRecord({
      topic,
      schema,
      data,
      id: eventId(delivery, topic),
      source: PARTNER_SOURCE,
      time: delivery.changedAt,
      subject: delivery.citizenId,
      traceparent: undefined,
      correlationId: undefined,
      causationId: undefined,
      sequence: delivery.sequence,
    });
    return { ...built, headers: { ...built.headers, [POSITION_HEADER]: delivery.position.toString() } };
  };
  const citizen = record(
    citizenTopic.name,
    partner.PartnerCitizenSchema,
    create(partner.PartnerCitizenSchema, { citizenId: delivery.citizenId }),
  );
  return [
    { ...citizen, value: delivery.next },
    record(
      changesTopic.name,
      partner.PartnerCitizenChangedSchema,
      changeMessage(delivery.citizenId, delivery.previous, delivery.next),
    ),
  ];
}
