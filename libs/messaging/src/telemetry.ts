import { SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  CatalogueMeter,
  contextOfTraceparent,
  linksTo,
  spanContextOf,
  tracerFor,
} from '@cancuoc/observability';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM_NAME,
  ATTR_KAFKA_OFFSET,
} from '@opentelemetry/semantic-conventions/incubating';
import type { IncomingRecord, OutgoingRecord, Transport } from './transport.js';

export const tracer = tracerFor('@cancuoc/messaging');
export const meter = new CatalogueMeter('@cancuoc/messaging');

/** `messaging.system.name`: `kafka`, or the transport's own kind (`in-process`). */
function systemOf(transport: Transport): string {
  return transport.kind;
}

/**
 * The PRODUCER span of one publish. A relay's batch whose records all belong to one trace (a batch
 * of one, or the events of one request) is sent as a child of the first record's span (its
 * `traceparent` header: the append of its event), linked to the others', so the publish shows in
 * the request's trace. A batch of records from several requests starts a trace of its own, linked
 * to the span that appended each record's event. The headers themselves stay the appends', so
 * consumers continue each appending request's trace either way. A send on behalf of one record (a
 * dead letter) is a child of `parent` instead.
 */
export function startSendSpan(
  transport: Transport,
  records: readonly OutgoingRecord[],
  extra: Attributes,
  parent?: Context,
): Span {
  const topics = [...new Set(records.map((r) => r.topic))];
  const destination = topics.length === 1 ? topics[0]! : undefined;
  const attributes: Attributes = {
    [ATTR_MESSAGING_SYSTEM_NAME]: systemOf(transport),
    [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
    [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: records.length,
    ...(destination && { [ATTR_MESSAGING_DESTINATION_NAME]: destination }),
    ...extra,
  };
  const name = destination ? `send ${destination}` : 'send';
  if (parent) return tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes }, parent);
  const traceparents = records.map((r) => r.headers.traceparent);
  const contexts = traceparents.map(spanContextOf);
  const oneTrace =
    contexts.every((c) => c !== undefined) && new Set(contexts.map((c) => c!.traceId)).size === 1;
  if (oneTrace) {
    const first = traceparents[0]!;
    const links = linksTo(traceparents.filter((t) => t !== first));
    return tracer.startSpan(
      name,
      { kind: SpanKind.PRODUCER, attributes, links },
      contextOfTraceparent(first),
    );
  }
  const links = linksTo(traceparents);
  return tracer.startSpan(name, { kind: SpanKind.PRODUCER, root: true, attributes, links });
}

/**
 * The CONSUMER span of one record's processing, a child of the span named by its `traceparent`
 * header (the append that produced it), so the handler's work — its own appends included —
 * continues that trace. Coordinates (topic, partition, offset) only: not the key, which is the
 * aggregate's id, nor the event id.
 */
export function startProcessSpan(transport: Transport, group: string, record: IncomingRecord) {
  const parent = contextOfTraceparent(record.headers.traceparent);
  const span = tracer.startSpan(
    `process ${record.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR_MESSAGING_SYSTEM_NAME]: systemOf(transport),
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: record.topic,
        [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: group,
        [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(record.partition),
        ...(transport.kind === 'kafka' && { [ATTR_KAFKA_OFFSET]: Number(record.offset) }),
      },
    },
    parent,
  );
  return { span, parent };
}
