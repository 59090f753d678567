import { SpanKind, context, trace, type Span } from '@opentelemetry/api';
import {
  CatalogueMeter,
  errorTypeOf,
  failSpan,
  secondsSince,
  streamCategory,
  traceparentOf,
  tracerFor,
} from '@cancuoc/observability';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { WrongExpectedVersionError } from './errors.js';

export const tracer = tracerFor('@cancuoc/eventstore');
export const meter = new CatalogueMeter('@cancuoc/eventstore');

type Outcome = 'ok' | 'conflict' | 'error';

/**
 * Runs one append (`operation`: the EventStore method) in a span, counting the events appended by
 * aggregate type and timing it by outcome. `work` gets the span's `traceparent`, which the events
 * record when the caller gave none: a consumer of those events continues this trace. Spans carry
 * the aggregate type only, never a stream id.
 */
export async function tracedAppend<T>(
  operation: 'appendToStream' | 'appendToStreams',
  streamIds: readonly string[],
  eventCounts: readonly number[],
  work: (traceparent: string | undefined) => Promise<T>,
  /** False when the appends inside are measured one by one. */
  measured = true,
): Promise<T> {
  const categories = streamIds.map(streamCategory);
  const distinct = [...new Set(categories)];
  const category = distinct.length === 1 ? distinct[0]! : 'mixed';
  const started = performance.now();
  const span: Span = tracer.startSpan(`EventStore.${operation}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'postgresql',
      [ATTR_DB_OPERATION_NAME]: operation,
      'cancuoc.stream.category': category,
      'cancuoc.eventstore.streams': streamIds.length,
      'cancuoc.eventstore.events': eventCounts.reduce((a, b) => a + b, 0),
    },
  });
  let outcome: Outcome = 'error';
  try {
    const result = await context.with(trace.setSpan(context.active(), span), () =>
      work(traceparentOf(span.spanContext())),
    );
    outcome = 'ok';
    if (measured)
      categories.forEach((c, i) =>
        meter.add('eventsAppended', eventCounts[i]!, { 'cancuoc.stream.category': c }),
      );
    return result;
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) outcome = 'conflict';
    failSpan(span, errorTypeOf(error));
    throw error;
  } finally {
    span.setAttribute('cancuoc.append.outcome', outcome);
    span.end();
    if (measured)
      meter.record('appendDuration', secondsSince(started), {
        'cancuoc.stream.category': category,
        'cancuoc.append.outcome': outcome,
      });
  }
}
