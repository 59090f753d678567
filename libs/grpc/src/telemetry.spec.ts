import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { activeTraceparent, createLogger, METRICS } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createClient } from './client.js';
import { Health } from './gen/grpc/health/v1/health_pb.js';
import { grpcMethodDefinition } from './service.js';
import { EchoService, startEcho, type EchoFixture } from './test-support/echo.js';
import { EchoRequestSchema } from './test-support/gen/cancuoc/grpctest/v1/echo_pb.js';

const ECHO = 'cancuoc.grpctest.v1.EchoService';

function pair(t: TestTelemetry, method: string): { client: ReadableSpan; server: ReadableSpan } {
  const spans = t.spansNamed(`${ECHO}/${method}`);
  const client = spans.find((s) => s.kind === SpanKind.CLIENT);
  const server = spans.find((s) => s.kind === SpanKind.SERVER);
  assert.ok(client && server, `client and server spans of ${method}: ${spans.length}`);
  return { client, server };
}

function assertChild(child: ReadableSpan, parent: ReadableSpan): void {
  assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
  assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId);
}

describe('gRPC telemetry', () => {
  let t: TestTelemetry;
  let echo: EchoFixture;
  const logged: Record<string, unknown>[] = [];
  let seenInHandler: string | undefined;

  before(async () => {
    t = await startTestTelemetry();
    echo = await startEcho(
      {
        async echo(request) {
          seenInHandler = activeTraceparent();
          if (request.text === 'boom') throw new Error(`internal trouble with 001188000001`);
          return { text: request.text, principal: '' };
        },
      },
      { logger: createLogger({ write: (line) => logged.push(JSON.parse(line) as Record<string, unknown>) }) },
    );
  });
  after(async () => {
    await echo?.close();
    await t?.shutdown();
  });
  beforeEach(() => t.reset());

  it('a unary call: a CLIENT span, and a SERVER span continuing it that is active in the handler', async () => {
    await echo.client.echo({ text: 'Nguyễn Văn A' });
    const { client, server } = pair(t, 'Echo');
    assertChild(server, client);
    assert.equal(seenInHandler?.split('-')[2], server.spanContext().spanId);
    assert.deepEqual(
      { ...server.attributes },
      {
        'rpc.system.name': 'grpc',
        'rpc.method': `${ECHO}/Echo`,
        'rpc.system': 'grpc',
        'rpc.service': ECHO,
        'rpc.status_code': 'OK',
        'rpc.grpc.status_code': 0,
      },
    );
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['server.port'], echo.server.port);
    assert.equal(server.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(t.privacyViolations, []);
  });

  it('all four kinds of call carry the trace from client to server', async () => {
    for await (const _ of echo.client.count({ count: 3 })) void _;
    await echo.client.sum([{ value: 1n }, { value: 2n }]);
    for await (const _ of echo.client.shout([{ text: 'a' }, { text: 'b' }])) void _;
    for (const method of ['Count', 'Sum', 'Shout']) {
      const { client, server } = pair(t, method);
      assertChild(server, client);
      assert.equal(server.attributes['rpc.status_code'], 'OK', method);
      assert.equal(client.attributes['rpc.status_code'], 'OK', method);
    }
  });

  it('a refusal is the caller’s error, not the server’s; an exception is the server’s, logged with its trace', async () => {
    await assert.rejects(async () => {
      for await (const _ of echo.client.count({ count: 5, failAfter: 2 })) void _;
    });
    const refused = pair(t, 'Count');
    assert.equal(refused.server.attributes['rpc.status_code'], 'FAILED_PRECONDITION');
    assert.equal(refused.server.status.code, SpanStatusCode.UNSET);
    assert.equal(refused.client.status.code, SpanStatusCode.ERROR);
    assert.equal(refused.client.attributes['error.type'], 'FAILED_PRECONDITION');

    await assert.rejects(echo.client.echo({ text: 'boom' }));
    const failed = pair(t, 'Echo');
    assert.equal(failed.server.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.server.status.message, 'INTERNAL');
    assert.equal(failed.server.events.length, 0);
    const line = logged.find((l) => l.msg === 'grpc.unexpected_error');
    assert.ok(line);
    assert.equal(line.trace_id, failed.server.spanContext().traceId);
    assert.equal(line.span_id, failed.server.spanContext().spanId);
    assert.ok(!JSON.stringify(line).includes('001188000001'));
    assert.deepEqual(t.privacyViolations, []);
  });

  it('continues a traceparent sent by a client that has no tracing of its own', async () => {
    const raw = new grpc.Client(echo.server.address, grpc.credentials.createInsecure());
    const definition = grpcMethodDefinition(EchoService.method.echo);
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    try {
      await new Promise((resolve, reject) =>
        raw.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          create(EchoRequestSchema, { text: 'x' }),
          metadata,
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
    } finally {
      raw.close();
    }
    const [server] = t.spansNamed(`${ECHO}/Echo`);
    assert.equal(server?.kind, SpanKind.SERVER);
    assert.equal(server.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(server.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });

  it('records rpc.server.call.duration by method and status code, health probes included but not traced', async () => {
    await echo.client.echo({ text: 'ok' });
    await assert.rejects(echo.client.echo({ text: 'boom' }));
    const health = createClient(Health, echo.server.address);
    try {
      await health.check({ service: '' });
    } finally {
      health[Symbol.dispose]();
    }
    const points = pointsOf(await t.collectMetrics(), METRICS.rpcServerDuration.name);
    const ok = points.find((p) =>
      hasAttributes(p.attributes, { 'rpc.method': `${ECHO}/Echo`, 'rpc.status_code': 'OK' }),
    );
    const internal = points.find((p) =>
      hasAttributes(p.attributes, {
        'rpc.method': `${ECHO}/Echo`,
        'rpc.status_code': 'INTERNAL',
        'error.type': 'INTERNAL',
      }),
    );
    assert.ok(ok && internal);
    assert.deepEqual(Object.keys(ok.attributes).sort(), ['rpc.method', 'rpc.status_code', 'rpc.system.name']);
    const allowed = new Set<string>(METRICS.rpcServerDuration.attributes.map((a) => a.name));
    for (const p of points) for (const key of Object.keys(p.attributes)) assert.ok(allowed.has(key), key);
    assert.ok(points.some((p) => p.attributes['rpc.method'] === 'grpc.health.v1.Health/Check'));
    assert.equal(
      t.spansNamed('grpc.health.v1.Health/Check').filter((s) => s.kind === SpanKind.SERVER).length,
      0,
    );
  });
});
