import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { personalDataIn, redact } from './privacy.js';
import { privacyViolations, startTestTelemetry, type TestTelemetry } from './testing/index.js';
import {
  activeTraceparent,
  contextOfTraceparent,
  errorTypeOf,
  failSpan,
  inSpan,
  linksTo,
  spanContextOf,
  streamCategory,
  traceparentOf,
} from './tracing.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context helpers', () => {
  it('read and write W3C traceparents, refusing malformed and all-zero ones', () => {
    const spanContext = spanContextOf(TRACEPARENT);
    assert.deepEqual(spanContext, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(traceparentOf(spanContext), TRACEPARENT);
    for (const bad of [
      null,
      undefined,
      '',
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    ]) {
      assert.equal(spanContextOf(bad), undefined, String(bad));
    }
  });

  it('link a batch to its distinct parents, skipping the missing', () => {
    const other = '00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b8-00';
    const links = linksTo([TRACEPARENT, null, TRACEPARENT, other, 'nonsense']);
    assert.deepEqual(
      links.map((l) => traceparentOf(l.context)),
      [TRACEPARENT, other],
    );
    const many = Array.from(
      { length: 300 },
      (_, i) => `00-${'1'.repeat(16)}${i.toString(16).padStart(16, '0')}-${'2'.repeat(16)}-01`,
    );
    assert.equal(linksTo(many).length, 128);
  });

  it('name a stream by its aggregate type, never by any part of its id', () => {
    assert.equal(streamCategory('citizen-0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a'), 'citizen');
    assert.equal(streamCategory('card_job-abc'), 'card_job');
    assert.equal(streamCategory('abcdefab-7d1c-7c3e-9a4b-1f2e3d4c5b6a'), 'other');
    assert.equal(streamCategory('0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a'), 'other');
    assert.equal(streamCategory('001188000001'), 'other');
    assert.equal(streamCategory('Nguyen-Van-A'), 'other');
  });

  it('describe a failure by its class, never its message', () => {
    class CitizenNotFoundError extends Error {
      override readonly name = 'CitizenNotFoundError';
    }
    assert.equal(errorTypeOf(new CitizenNotFoundError('no citizen 001188000001')), 'CitizenNotFoundError');
    assert.equal(errorTypeOf('a string'), '_OTHER');
    const odd = new Error('x');
    odd.name = 'Nguyễn Văn A';
    assert.equal(errorTypeOf(odd), '_OTHER');
  });
});

describe('spans under the SDK', () => {
  let t: TestTelemetry;
  before(async () => (t = await startTestTelemetry()));
  after(() => t.shutdown());

  it('continue a trace from a traceparent and expose the active one', async () => {
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('child', {}, contextOfTraceparent(TRACEPARENT));
    await inSpan(span, async () => {
      const active = activeTraceparent();
      assert.match(active!, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      assert.notEqual(active, TRACEPARENT);
    });
    const [ended] = t.spansNamed('child');
    assert.equal(ended!.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });

  it('fail a span with the error class as status and error.type, and no exception event', async () => {
    const span = trace.getTracer('test').startSpan('failing');
    await assert.rejects(
      inSpan(span, async () => {
        throw new RangeError('birth date 1990-05-17 of 001188000001');
      }),
    );
    const [ended] = t.spansNamed('failing');
    assert.equal(ended!.status.code, SpanStatusCode.ERROR);
    assert.equal(ended!.status.message, 'RangeError');
    assert.equal(ended!.attributes['error.type'], 'RangeError');
    assert.equal(ended!.events.length, 0);
    assert.deepEqual(privacyViolations(ended!), []);
  });

  it('have no active traceparent outside a span', () => {
    context.with(context.active(), () => assert.equal(activeTraceparent(), undefined));
    const span = trace.getTracer('test').startSpan('x');
    failSpan(span, 'NOT_FOUND');
    span.end();
  });
});

describe('the privacy guard', () => {
  let t: TestTelemetry;
  before(async () => (t = await startTestTelemetry()));
  after(() => t.shutdown());

  it('finds id numbers, record ids, dates and Vietnamese text in names, attributes, events and status', () => {
    const tracer = trace.getTracer('test');
    const leaks: [string, Record<string, string>][] = [
      ['GetCitizen 001188000001', {}],
      ['ok', { 'app.citizen': 'citizen-0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a' }],
      ['ok', { 'app.birth': '1990-05-17' }],
      ['ok', { 'app.name': 'Nguyễn Thị Ánh Đào' }],
      ['ok', { 'app.old_id': '012345678' }],
    ];
    for (const [name, attributes] of leaks) tracer.startSpan(name, { attributes }).end();
    const span = tracer.startSpan('with-event');
    span.addEvent('exception', { 'exception.message': 'no citizen 001188000001' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'Võ Thị Sáu' });
    span.end();
    const found = t.privacyViolations.map((v) => `${v.where}:${v.kind}`);
    assert.deepEqual(found, [
      'name:personalIdNumber',
      'attribute app.citizen:recordId',
      'attribute app.birth:date',
      'attribute app.name:nonAsciiText',
      'attribute app.old_id:personalIdNumber',
      'status:nonAsciiText',
      'event exception exception.message:personalIdNumber',
    ]);
    assert.ok(t.privacyViolations.every((v) => !v.span.includes('001188000001')));
  });

  it('passes what instrumentation records: methods, topics, states, numbers', () => {
    const before = t.privacyViolations.length;
    trace
      .getTracer('test')
      .startSpan('cancuoc.registry.v1.RegistryService/GetCitizen', {
        attributes: {
          'rpc.method': 'cancuoc.registry.v1.RegistryService/GetCitizen',
          'messaging.destination.name': 'internal.registry.citizen.v1',
          'server.address': '127.0.0.1',
          'messaging.kafka.offset': 123456789012,
          'rpc.status_code': 'OK',
        },
      })
      .end();
    assert.equal(t.privacyViolations.length, before);
  });
});

describe('redaction', () => {
  it('removes id numbers, dates and words with Vietnamese letters, and keeps record ids', () => {
    assert.equal(
      redact(
        'citizen 001188000001 (Nguyễn Văn An, born 1990-05-17) in citizen-0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a',
      ),
      'citizen [redacted] ([redacted] [redacted] An, born [redacted]) in citizen-0190f3a2-7d1c-7c3e-9a4b-1f2e3d4c5b6a',
    );
    assert.equal(personalDataIn('internal.registry.citizen.v1'), undefined);
  });
});
