import { fromBinary, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { IncomingRecord, OutgoingRecord } from './transport.js';

/**
 * CloudEvents 1.0 over Kafka, binary content mode: the event's attributes travel as `ce_` headers
 * and the record value is the Protobuf payload alone, so a consumer can route on headers without
 * decoding, and agencies can read the payload with any Protobuf toolchain.
 */
export const CONTENT_TYPE = 'application/protobuf';
export const SPEC_VERSION = '1.0';

export interface CloudEvent<M extends Message = Message> {
  /** Unique per event: the event store's event id, so a redelivered record is recognisable. */
  readonly id: string;
  /** The producing service, e.g. `/cancuoc/registry`. */
  readonly source: string;
  /** Full Protobuf name of the payload message, e.g. `cancuoc.events.v1.CitizenRecordChanged`. */
  readonly type: string;
  readonly time: Date;
  /** The aggregate the event is about; also the record key. */
  readonly subject: string;
  readonly data: M;
  /** W3C trace context of the request that caused the event. */
  readonly traceparent: string | undefined;
  readonly correlationId: string | undefined;
  readonly causationId: string | undefined;
  /** The event's version within its aggregate: increases by one per event of the subject. */
  readonly sequence: number | undefined;
}

export interface CloudEventToSend<M extends Message = Message> extends Omit<CloudEvent<M>, 'type'> {
  readonly topic: string;
  readonly schema: DescMessage;
}

export function toKafkaRecord(event: CloudEventToSend): OutgoingRecord {
  const headers: Record<string, string> = {
    ce_specversion: SPEC_VERSION,
    ce_id: event.id,
    ce_source: event.source,
    ce_type: event.schema.typeName,
    ce_time: event.time.toISOString(),
    ce_subject: event.subject,
    'content-type': CONTENT_TYPE,
  };
  if (event.traceparent) headers.traceparent = event.traceparent;
  if (event.correlationId) headers.ce_correlationid = event.correlationId;
  if (event.causationId) headers.ce_causationid = event.causationId;
  if (event.sequence !== undefined) headers.ce_sequence = String(event.sequence);
  return {
    topic: event.topic,
    key: event.subject,
    value: toBinary(event.schema, event.data),
    headers,
  };
}

/** A record that can never be processed as it is: retrying it would fail the same way. */
export class PoisonRecordError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'PoisonRecordError';
  }
}

/** Reads a record back into a CloudEvent, refusing anything that is not one of the known types. */
export function fromKafkaRecord(record: IncomingRecord, types: ReadonlyMap<string, DescMessage>): CloudEvent {
  const h = record.headers;
  for (const required of ['ce_specversion', 'ce_id', 'ce_source', 'ce_type', 'ce_time', 'ce_subject']) {
    if (!h[required]) throw new PoisonRecordError(`header ${required} is missing`);
  }
  if (h.ce_specversion !== SPEC_VERSION) {
    throw new PoisonRecordError(`unsupported CloudEvents specversion ${h.ce_specversion}`);
  }
  if (h['content-type'] !== CONTENT_TYPE) {
    throw new PoisonRecordError(`content-type ${h['content-type'] ?? '(none)'} is not ${CONTENT_TYPE}`);
  }
  const schema = types.get(h.ce_type!);
  if (!schema) throw new PoisonRecordError(`no payload type ${h.ce_type} is known on ${record.topic}`);
  const time = new Date(h.ce_time!);
  if (Number.isNaN(time.getTime())) throw new PoisonRecordError(`ce_time ${h.ce_time} is not a time`);
  if (record.value === null) throw new PoisonRecordError('the record has no payload');
  let data: Message;
  try {
    data = fromBinary(schema, record.value);
  } catch (error) {
    throw new PoisonRecordError(`payload is not a valid ${schema.typeName}`, { cause: error });
  }
  const sequence = h.ce_sequence === undefined ? undefined : Number(h.ce_sequence);
  return {
    id: h.ce_id!,
    source: h.ce_source!,
    type: schema.typeName,
    time,
    subject: h.ce_subject!,
    data,
    traceparent: h.traceparent,
    correlationId: h.ce_correlationid,
    causationId: h.ce_causationid,
    sequence: Number.isSafeInteger(sequence) ? sequence : undefined,
  };
}
