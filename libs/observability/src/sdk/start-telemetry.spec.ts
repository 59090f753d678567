import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT, context, metrics, propagation, trace } from '@opentelemetry/api';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { CatalogueMeter } from '../instruments.js';
import { createLogger } from '../logger.js';
import { METRICS } from '../metrics.js';
import { pointsOf } from '../testing/test-telemetry.js';
import { exportingFromEnv } from './exporting.js';
import { startTelemetry, type Telemetry, type TelemetryOptions } from './start-telemetry.js';

/** The SDK reads `process.env`, as in production: these variables are set while it starts. */
async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const start = (vars: Record<string, string>, options: Partial<TelemetryOptions> = {}): Promise<Telemetry> =>
  withEnv(vars, () => startTelemetry({ serviceName: 'registry', ...options }));

class OnDemandReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** The timers, sockets and look-ups created while `work` runs: what a quiet SDK must not make. */
async function noisyResourcesMadeBy(work: () => Promise<void>): Promise<string[]> {
  const made = new Set<string>();
  const hook = createHook({
    init: (_id, type) => void (/^(Timeout|TCP|UDP|HTTP|GETADDRINFO|PIPE)/.test(type) && made.add(type)),
  }).enable();
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    hook.disable();
  }
  return [...made];
}

/** A span and a metric point: what every request makes. */
function someWork(): void {
  trace.getTracer('t').startSpan('work').end();
  new CatalogueMeter('t').add('eventsAppended', 1, { 'cancuoc.stream.category': 'citizen' });
}

describe('which signals the environment exports', () => {
  it('exports a signal only when told where or how, not by the SDK default to localhost', async () => {
    assert.deepEqual(await withEnv({}, exportingFromEnv), { disabled: false, traces: false, metrics: false });
    assert.deepEqual(
      await withEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_METRICS_EXPORTER: 'none' },
        exportingFromEnv,
      ),
      { disabled: false, traces: true, metrics: false },
    );
    assert.deepEqual(
      await withEnv(
        { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/v1/metrics', OTEL_TRACES_EXPORTER: 'console' },
        exportingFromEnv,
      ),
      { disabled: false, traces: true, metrics: true },
    );
    assert.deepEqual(
      await withEnv({ OTEL_METRICS_EXPORTER: 'prometheus', OTEL_SDK_DISABLED: 'TRUE' }, exportingFromEnv),
      { disabled: true, traces: false, metrics: true },
    );
  });
});

describe('startTelemetry (NodeSDK)', () => {
  it('without an endpoint stays quiet and records nothing, yet trace context flows with fresh ids', async () => {
    const lines: string[] = [];
    let telemetry: Telemetry | undefined;
    const noisy = await noisyResourcesMadeBy(async () => {
      telemetry = await start({}, { logger: createLogger({ write: (line) => lines.push(line) }) });
      someWork();
    });
    assert.deepEqual(noisy, [], 'no timer, no socket, no look-up');
    try {
      assert.equal(telemetry!.traces, 'propagated');
      assert.equal(telemetry!.metrics, 'off');
      assert.equal(metrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
      const span = trace.getTracer('t').startSpan('root');
      assert.equal(span.isRecording(), false);
      assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
      const carrier: Record<string, string> = {};
      const withBaggage = propagation.setBaggage(
        trace.setSpan(ROOT_CONTEXT, span),
        propagation.createBaggage({ anything: { value: 'a caller put it there' } }),
      );
      propagation.inject(withBaggage, carrier);
      assert.deepEqual(carrier, {
        traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-00`,
      });
      // A caller's sampled trace is carried on, with its decision.
      const incoming = propagation.extract(ROOT_CONTEXT, {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
      const child = trace.getTracer('t').startSpan('child', {}, incoming);
      assert.equal(child.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(child.spanContext().traceFlags, 1);
      await context.with(trace.setSpan(ROOT_CONTEXT, child), async () => {
        await Promise.resolve();
        assert.equal(trace.getActiveSpan(), child);
      });
      await telemetry!.forceFlush();
      assert.deepEqual(lines, [], 'no warning');
      await assert.rejects(startTelemetry({ serviceName: 'again' }), /already started/);
    } finally {
      await telemetry!.shutdown();
    }
    assert.equal(trace.getTracer('t').startSpan('after').spanContext().traceId, '0'.repeat(32));
    const again = await start({});
    await again.shutdown();
  });

  it('with OTEL_SDK_DISABLED leaves the API a no-op, even with an endpoint', async () => {
    const telemetry = await start({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317',
    });
    try {
      assert.equal(telemetry.traces, 'disabled');
      assert.equal(trace.getTracer('t').startSpan('x').spanContext().traceId, '0'.repeat(32));
      assert.equal(metrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
    } finally {
      await telemetry.shutdown();
    }
  });

  it('names the resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over the code', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await start(
      { OTEL_SERVICE_NAME: 'registry', OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc,service.name=x' },
      {
        serviceName: 'from-code',
        serviceVersion: '1.2.3',
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      },
    );
    try {
      trace.getTracer('t').startSpan('x').end();
      // Exported once the detectors' asynchronous attributes (host.id) have settled.
      await telemetry.forceFlush();
      const attributes = exporter.getFinishedSpans()[0]!.resource.attributes;
      assert.equal(attributes['service.name'], 'registry');
      assert.equal(attributes['service.namespace'], 'cancuoc');
      assert.equal(attributes['service.version'], '1.2.3');
      assert.equal(attributes['telemetry.sdk.language'], 'nodejs');
      assert.match(String(attributes['service.instance.id']), /^[0-9a-f-]{36}$/);
      assert.equal(attributes['process.pid'], process.pid, 'the default detectors ran');
    } finally {
      await telemetry.shutdown();
    }
  });

  it('takes the sampler and the propagators from the environment', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await start(
      { OTEL_TRACES_SAMPLER: 'always_off', OTEL_PROPAGATORS: 'tracecontext,baggage' },
      { spanProcessors: [new SimpleSpanProcessor({ exporter })] },
    );
    try {
      const span = trace.getTracer('t').startSpan('x');
      assert.equal(span.isRecording(), false);
      const carrier: Record<string, string> = {};
      propagation.inject(
        propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ k: { value: 'v' } })),
        carrier,
      );
      assert.equal(carrier.baggage, 'k=v');
    } finally {
      await telemetry.shutdown();
    }
  });

  it('applies the catalogue: its histogram buckets, and only its attributes', async () => {
    const reader = new OnDemandReader();
    const telemetry = await start({}, { metricReaders: [reader] });
    try {
      assert.equal(telemetry.metrics, 'exported');
      const meter = new CatalogueMeter('t');
      meter.record('rpcServerDuration', 0.02, {
        'rpc.system.name': 'grpc',
        'rpc.method': 'cancuoc.registry.v1.RegistryService/GetCitizen',
        'rpc.status_code': 'OK',
        // Not in the catalogue: the types refuse it, and so does the SDK at run time.
        ...({ 'user.id': '001099012345' } as object),
      });
      const { resourceMetrics } = await reader.collect();
      const collected = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      const [point] = pointsOf(collected, METRICS.rpcServerDuration.name) as {
        attributes: Record<string, unknown>;
        value: { buckets: { boundaries: number[] } };
      }[];
      assert.deepEqual(point!.value.buckets.boundaries, [...METRICS.rpcServerDuration.buckets]);
      assert.deepEqual(Object.keys(point!.attributes).sort(), [
        'rpc.method',
        'rpc.status_code',
        'rpc.system.name',
      ]);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('exports spans and metrics over OTLP/gRPC to the configured collector', async () => {
    const received = { traces: [] as Buffer[], metrics: [] as Buffer[] };
    const server = new grpc.Server();
    const passThrough = (b: Buffer) => b;
    for (const [service, into] of [
      ['opentelemetry.proto.collector.trace.v1.TraceService', received.traces],
      ['opentelemetry.proto.collector.metrics.v1.MetricsService', received.metrics],
    ] as const) {
      server.addService(
        {
          Export: {
            path: `/${service}/Export`,
            requestStream: false,
            responseStream: false,
            requestSerialize: passThrough,
            requestDeserialize: passThrough,
            responseSerialize: passThrough,
            responseDeserialize: passThrough,
          },
        },
        {
          Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
            into.push(call.request);
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
    let telemetry: Telemetry | undefined;
    const noisy = await noisyResourcesMadeBy(async () => {
      telemetry = await start({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=cancuoc',
      });
      someWork();
    });
    assert.ok(
      noisy.includes('Timeout'),
      'the batch and export timers, seen by the probe the quiet test uses',
    );
    try {
      assert.equal(telemetry!.traces, 'exported');
      assert.equal(telemetry!.metrics, 'exported');
      trace.getTracer('t').startSpan('cancuoc.registry.v1.RegistryService/GetCitizen').end();
      await telemetry!.forceFlush();
      const traces = Buffer.concat(received.traces).toString('latin1');
      assert.ok(traces.includes('cancuoc.registry.v1.RegistryService/GetCitizen'));
      assert.ok(traces.includes('registry') && traces.includes('cancuoc'));
      assert.ok(
        Buffer.concat(received.metrics).toString('latin1').includes('cancuoc.eventstore.events.appended'),
      );
    } finally {
      await telemetry!.shutdown();
      server.forceShutdown();
    }
    assert.equal(metrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
  });

  it('drops what it cannot send to an unreachable collector, and still shuts down in bounded time', async () => {
    const problems: string[] = [];
    const telemetry = await start(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      { logger: createLogger({ write: (line) => problems.push(line) }), shutdownTimeoutMs: 1_500 },
    );
    for (let i = 0; i < 50; i++) trace.getTracer('t').startSpan('work').end();
    new CatalogueMeter('t').add('eventsAppended', 1, { 'cancuoc.stream.category': 'citizen' });
    const started = performance.now();
    await telemetry.forceFlush();
    await telemetry.shutdown();
    assert.ok(performance.now() - started < 5_000);
    assert.ok(problems.every((line) => JSON.parse(line).msg === 'telemetry.sdk_problem'));
  });
});
