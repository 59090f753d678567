import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT, context, metrics, propagation, trace } from '@opentelemetry/api';
import { CatalogueMeter } from '../instruments.js';
import { createLogger } from '../logger.js';
import { telemetryConfigFromEnv } from './config.js';
import { startTelemetry } from './start-telemetry.js';

describe('telemetry configuration from the OTEL_* environment', () => {
  it('takes the endpoint and protocol the manifests set', () => {
    const config = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_SERVICE_NAME: 'registry',
      OTEL_RESOURCE_ATTRIBUTES:
        'service.namespace=cancuoc,deployment.environment.name=prod,k8s.pod.name=registry-7d9',
    });
    assert.deepEqual(config.traces, { url: 'http://otel-collector:4317', protocol: 'grpc' });
    assert.deepEqual(config.metrics, { url: 'http://otel-collector:4317', protocol: 'grpc' });
    assert.equal(config.serviceName, 'registry');
    assert.deepEqual(config.resourceAttributes, {
      'service.namespace': 'cancuoc',
      'deployment.environment.name': 'prod',
      'k8s.pod.name': 'registry-7d9',
    });
    assert.deepEqual(config.problems, []);
  });

  it('appends the signal path for OTLP/HTTP, and lets a signal endpoint or exporter override', () => {
    const config = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/custom',
    });
    assert.deepEqual(config.traces, { url: 'http://collector:4318/v1/traces', protocol: 'http/protobuf' });
    assert.deepEqual(config.metrics, { url: 'http://metrics:4318/custom', protocol: 'http/protobuf' });
    const none = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
      OTEL_METRICS_EXPORTER: 'none',
    });
    assert.equal(none.metrics.url, undefined);
    assert.equal(none.traces.url, 'http://c:4317/v1/traces');
    const disabled = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
      OTEL_SDK_DISABLED: 'true',
    });
    assert.equal(disabled.traces.url, undefined);
    assert.equal(telemetryConfigFromEnv({}).traces.url, undefined);
  });

  it('reports unusable values instead of refusing to start, and discards malformed resource attributes', () => {
    const config = telemetryConfigFromEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_METRIC_EXPORT_INTERVAL: 'soon',
      OTEL_RESOURCE_ATTRIBUTES: 'a=1,broken',
    });
    assert.equal(config.traces.protocol, 'http/protobuf');
    assert.deepEqual(config.sampler, { kind: 'parentbased_traceidratio', ratio: 1 });
    assert.equal(config.metricExportIntervalMs, 60_000);
    assert.deepEqual(config.resourceAttributes, {});
    assert.equal(config.problems.length, 5);
  });
});

describe('startTelemetry', () => {
  it('without an endpoint records nothing, yet trace context flows and gets fresh ids', async () => {
    const telemetry = await startTelemetry({ serviceName: 'registry', env: {} });
    try {
      assert.equal(telemetry.traces, 'propagated');
      assert.equal(telemetry.metrics, 'off');
      const span = trace.getTracer('t').startSpan('root');
      assert.equal(span.isRecording(), false);
      assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
      const carrier: Record<string, string> = {};
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => propagation.inject(context.active(), carrier));
      assert.equal(carrier.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-00`);
      // A caller's sampled trace is carried on, with its decision.
      const incoming = propagation.extract(ROOT_CONTEXT, {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
      const child = trace.getTracer('t').startSpan('child', {}, incoming);
      assert.equal(child.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(child.spanContext().traceFlags, 1);
      await assert.rejects(startTelemetry({ serviceName: 'again', env: {} }), /already started/);
    } finally {
      await telemetry.shutdown();
    }
    const again = await startTelemetry({ serviceName: 'registry', env: {} });
    await again.shutdown();
  });

  it('with OTEL_SDK_DISABLED leaves the API a no-op', async () => {
    const telemetry = await startTelemetry({ serviceName: 'registry', env: { OTEL_SDK_DISABLED: 'true' } });
    try {
      assert.equal(telemetry.traces, 'disabled');
      assert.equal(trace.getTracer('t').startSpan('x').spanContext().traceId, '0'.repeat(32));
    } finally {
      await telemetry.shutdown();
    }
  });

  it('names the resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over the code', async () => {
    const telemetry = await startTelemetry({
      serviceName: 'from-code',
      serviceVersion: '1.2.3',
      env: {
        OTEL_SERVICE_NAME: 'registry',
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc,service.name=x',
      },
    });
    try {
      const attributes = telemetry.resource.attributes;
      assert.equal(attributes['service.name'], 'registry');
      assert.equal(attributes['service.namespace'], 'cancuoc');
      assert.equal(attributes['service.version'], '1.2.3');
      assert.equal(attributes['telemetry.sdk.language'], 'nodejs');
      assert.match(String(attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('exports spans and metrics over OTLP/gRPC to the configured collector', async () => {
    const received = { traces: [] as Buffer[], metrics: [] as Buffer[] };
    const server = new grpc.Server();
    const raw = (into: Buffer[]) => ({
      path: '',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
      into,
    });
    for (const [service, into] of [
      ['opentelemetry.proto.collector.trace.v1.TraceService', received.traces],
      ['opentelemetry.proto.collector.metrics.v1.MetricsService', received.metrics],
    ] as const) {
      const { into: sink, ...definition } = raw(into);
      server.addService(
        { Export: { ...definition, path: `/${service}/Export` } },
        {
          Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
            sink.push(call.request);
            callback(null, Buffer.alloc(0));
          },
        },
      );
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const telemetry = await startTelemetry({
      serviceName: 'registry',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc',
      },
    });
    try {
      assert.equal(telemetry.traces, 'exported');
      assert.equal(telemetry.metrics, 'exported');
      trace.getTracer('t').startSpan('cancuoc.registry.v1.RegistryService/GetCitizen').end();
      new CatalogueMeter('t').add('eventsAppended', 1, { 'cancuoc.stream.category': 'citizen' });
      await telemetry.forceFlush();
      const traces = Buffer.concat(received.traces).toString('latin1');
      assert.ok(traces.includes('cancuoc.registry.v1.RegistryService/GetCitizen'));
      assert.ok(traces.includes('registry') && traces.includes('cancuoc'));
      assert.ok(
        Buffer.concat(received.metrics).toString('latin1').includes('cancuoc.eventstore.events.appended'),
      );
    } finally {
      await telemetry.shutdown();
      server.forceShutdown();
    }
    assert.equal(metrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
  });

  it('drops what it cannot send to an unreachable collector, and still shuts down in bounded time', async () => {
    const problems: string[] = [];
    const telemetry = await startTelemetry({
      serviceName: 'registry',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      logger: createLogger({ write: (line) => problems.push(line) }),
      shutdownTimeoutMs: 1_500,
    });
    for (let i = 0; i < 50; i++) trace.getTracer('t').startSpan('work').end();
    new CatalogueMeter('t').add('eventsAppended', 1, { 'cancuoc.stream.category': 'citizen' });
    const started = performance.now();
    await telemetry.forceFlush();
    await telemetry.shutdown();
    assert.ok(performance.now() - started < 5_000);
    assert.ok(problems.every((line) => JSON.parse(line).msg === 'telemetry.sdk_problem'));
  });
});
