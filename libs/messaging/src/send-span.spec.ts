/**
 * Where a relay's publish sits in the traces: the batch of one request's records in that request's
 * trace, a batch mixing requests (or with an untraced record) in a trace of its own, linked to each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { contextOfTraceparent, traceparentOf } from '@cancuoc/observability';
import { startTestTelemetry, type TestTelemetry } from '@cancuoc/observability/testing';
import { startSendSpan } from './telemetry.js';
import type { OutgoingRecord, Transport } from './transport.js';

const TOPIC = 'internal.test.sends.v1';
const transport = { kind: 'kafka' } as Transport;

describe('the send span of a relay batch', () => {
  let t: TestTelemetry;
  before(async () => {
    t = await startTestTelemetry();
  });
  after(() => t?.shutdown());

  /** The traceparent of a fresh append span: of a request of its own, or in `parent`'s trace. */
  function append(parent?: string): string {
    const span = trace
      .getTracer('test')
      .startSpan('append', { kind: SpanKind.CLIENT }, contextOfTraceparent(parent, ROOT_CONTEXT));
    span.end();
    return traceparentOf(span.spanContext())!;
  }
  const record = (traceparent?: string): OutgoingRecord => ({
    topic: TOPIC,
    key: 'k',
    value: new Uint8Array(),
    headers: traceparent ? { traceparent } : {},
  });
  const send = (records: OutgoingRecord[]) => {
    const span = startSendSpan(transport, records, {});
    span.end();
    return t.spans().find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  };

  it('puts a batch of one request’s records in its trace, a child of the first append, linked to the others', () => {
    const first = append();
    const second = append(first);
    const span = send([record(first), record(second), record(first)]);
    assert.equal(span.kind, SpanKind.PRODUCER);
    assert.equal(span.spanContext().traceId, first.split('-')[1]);
    assert.equal(span.parentSpanContext?.spanId, first.split('-')[2]);
    assert.deepEqual(
      span.links.map((l) => l.context.spanId),
      [second.split('-')[2]],
    );
  });

  it('starts a trace of its own for records of several requests, linked to each append', () => {
    const a = append();
    const b = append();
    const span = send([record(a), record(b)]);
    assert.equal(span.parentSpanContext, undefined);
    assert.notEqual(span.spanContext().traceId, a.split('-')[1]);
    assert.notEqual(span.spanContext().traceId, b.split('-')[1]);
    assert.deepEqual(
      span.links.map((l) => l.context.spanId),
      [a.split('-')[2], b.split('-')[2]],
    );
  });

  it('starts a trace of its own when a record has no trace context', () => {
    const a = append();
    const span = send([record(a), record()]);
    assert.equal(span.parentSpanContext, undefined);
    assert.deepEqual(
      span.links.map((l) => l.context.spanId),
      [a.split('-')[2]],
    );
  });
});
