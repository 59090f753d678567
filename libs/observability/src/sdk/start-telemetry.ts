import {
  DiagLogLevel,
  ProxyTracerProvider,
  context,
  diag,
  logs,
  metrics,
  propagation,
  trace,
  type DiagLogger,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator, getStringFromEnv } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { createLogger, type Logger } from '../logger.js';
import { exportingFromEnv } from './exporting.js';
import { catalogueViews } from './views.js';

export interface TelemetryOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` say otherwise. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Where the SDK's own troubles (an unreachable collector) are reported, at most once a minute each. */
  readonly logger?: Logger;
  /**
   * Span processors instead of the ones the environment configures (tests: an in-memory exporter,
   * the privacy guard). Every span is then recorded.
   */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Metric readers instead of the ones the environment configures (tests: one collected on demand). */
  readonly metricReaders?: readonly IMetricReader[];
  /** How long `shutdown()` and `forceFlush()` may take before they give up. Default 5 s. */
  readonly shutdownTimeoutMs?: number;
}

export interface Telemetry {
  /**
   * `exported`: spans go somewhere; `propagated`: trace context flows, nothing is recorded for
   * export; `disabled` (`OTEL_SDK_DISABLED=true`): no SDK, no trace context.
   */
  readonly traces: 'exported' | 'propagated' | 'disabled';
  readonly metrics: 'exported' | 'off';
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK (bounded by `shutdownTimeoutMs`); call it last, after the service stopped. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/**
 * The SDK's diagnostics as log lines: warnings and errors only (an export that failed, a queue
 * that dropped spans, a variable it could not use), each distinct message at most once a minute,
 * so an unreachable collector shows without flooding the log. The SDK drops what it cannot send;
 * the service carries on.
 */
function diagnostics(logger: Logger): DiagLogger {
  const lastSeen = new Map<string, number>();
  const report = (level: 'warn' | 'error') => (message: string) => {
    const now = Date.now();
    if ((lastSeen.get(message) ?? -Infinity) > now - 60_000) return;
    lastSeen.set(message, now);
    logger[level]('telemetry.sdk_problem', { problem: message.slice(0, 300) });
  };
  const ignore = () => undefined;
  return { error: report('error'), warn: report('warn'), info: ignore, debug: ignore, verbose: ignore };
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    work.then(done, done);
  });
}

/** The SDK's providers, reached through the API: `NodeSDK` offers `shutdown` but no flush. */
async function flushProviders(): Promise<void> {
  const tracerProvider = trace.getTracerProvider();
  const delegate: object =
    tracerProvider instanceof ProxyTracerProvider ? tracerProvider.getDelegate() : tracerProvider;
  const flushable = [delegate, metrics.getMeterProvider()].filter(
    (p): p is { forceFlush(): Promise<void> } => 'forceFlush' in p && typeof p.forceFlush === 'function',
  );
  await Promise.all(flushable.map((p) => p.forceFlush()));
}

/** What runs when the SDK is disabled: nothing, and nothing to stop. */
function disabled(): Telemetry {
  const telemetry: Telemetry = {
    traces: 'disabled',
    metrics: 'off',
    forceFlush: () => Promise.resolve(),
    shutdown() {
      if (running === telemetry) running = undefined;
      return Promise.resolve();
    },
  };
  running = telemetry;
  return telemetry;
}

/**
 * Starts OpenTelemetry's `NodeSDK` for this process, once, before anything else starts. The SDK
 * reads the standard `OTEL_*` variables itself: exporters and their protocols, endpoints and
 * headers, the sampler, batching, export interval, resource detectors, `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`. Ours on top: export only when an endpoint or an
 * exporter is named (see `exportingFromEnv`), W3C trace context without baggage unless
 * `OTEL_PROPAGATORS` says otherwise, the metric catalogue's views, no OpenTelemetry logs (services
 * log JSON lines to stdout), and the SDK's troubles as rate-limited log lines.
 *
 * Without an endpoint (the embedded default) nothing is recorded or exported and the libraries'
 * instruments stay no-ops, but trace context still flows through every hop and into the logs. An
 * unreachable collector costs dropped telemetry, never the service.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (running) throw new Error('telemetry is already started in this process');
  const exporting = exportingFromEnv();
  if (exporting.disabled) return disabled();
  const logger = options.logger ?? createLogger({ service: options.serviceName });
  // Before the SDK is made, since it reads the metric exporters' variables in its constructor.
  // `OTEL_LOG_LEVEL`, when set, hands the SDK's diagnostics to its console logger instead.
  diag.setLogger(diagnostics(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const traced = options.spanProcessors !== undefined || exporting.traces;
  const configuration: Partial<NodeSDKConfiguration> = {
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
      }),
    ),
    views: catalogueViews(),
    // Baggage is left out by default: it carries whatever a caller put in it, to every hop.
    ...(getStringFromEnv('OTEL_PROPAGATORS') === undefined
      ? { textMapPropagator: new W3CTraceContextPropagator() }
      : {}),
    logRecordProcessors: [],
    ...(options.spanProcessors
      ? { spanProcessors: [...options.spanProcessors] }
      : exporting.traces
        ? {}
        : {
            // Nothing to record into: new traces are not sampled (ids still flow, to logs and
            // downstream), but a caller's decision to sample is honoured and handed on. A
            // processor is needed for the SDK to set up a tracer provider at all.
            spanProcessors: [new NoopSpanProcessor()],
            sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
          }),
    ...(options.metricReaders
      ? { metricReaders: [...options.metricReaders] }
      : exporting.metrics
        ? {}
        : { metricReaders: [] }),
  };
  // Loaded only when the SDK runs: it brings every exporter it can configure.
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK(configuration);
  sdk.start();

  const timeoutMs = options.shutdownTimeoutMs ?? 5_000;
  let stopping: Promise<void> | undefined;
  const telemetry: Telemetry = {
    traces: traced ? 'exported' : 'propagated',
    metrics: options.metricReaders !== undefined || exporting.metrics ? 'exported' : 'off',
    forceFlush: () => withTimeout(flushProviders(), timeoutMs),
    shutdown() {
      stopping ??= (async () => {
        await withTimeout(sdk.shutdown(), timeoutMs);
        // NodeSDK leaves its providers registered; a stopped SDK must not look like a running one.
        trace.disable();
        metrics.disable();
        logs.disable();
        propagation.disable();
        context.disable();
        diag.disable();
        running = undefined;
      })();
      return stopping;
    },
  };
  running = telemetry;
  return telemetry;
}
