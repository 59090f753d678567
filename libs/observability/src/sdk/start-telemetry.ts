import { randomUUID } from 'node:crypto';
import {
  DiagLogLevel,
  context,
  diag,
  metrics,
  propagation,
  trace,
  type DiagLogger,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import { createLogger, type Logger } from '../logger.js';
import { telemetryConfigFromEnv, type SamplerConfig, type SignalConfig } from './config.js';

export interface TelemetryOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** Where the `OTEL_*` variables are read. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the SDK's own troubles (an unreachable collector) are reported, at most once a minute each. */
  readonly logger?: Logger;
  /** Span processors besides the OTLP one (tests: an in-memory exporter, a privacy guard). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Metric readers besides the OTLP one (tests: one collected on demand). */
  readonly metricReaders?: readonly IMetricReader[];
  /** How long `shutdown()` may take to flush before it gives up. Default 5 s. */
  readonly shutdownTimeoutMs?: number;
}

export interface Telemetry {
  /**
   * `exported`: spans go somewhere; `propagated`: trace context flows, nothing is recorded for
   * export; `disabled` (`OTEL_SDK_DISABLED=true`): no SDK, no trace context.
   */
  readonly traces: 'exported' | 'propagated' | 'disabled';
  readonly metrics: 'exported' | 'off';
  readonly resource: Resource;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops the SDK (bounded by `shutdownTimeoutMs`); call it last, after the service stopped. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

function samplerOf(config: SamplerConfig | undefined, recording: boolean): Sampler {
  // Nothing to record into: new traces are not sampled (ids still flow, to logs and downstream),
  // but a caller's decision to sample is honoured and handed on.
  if (!recording) return new ParentBasedSampler({ root: new AlwaysOffSampler() });
  switch (config?.kind) {
    case undefined:
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

// The exporters are loaded only when there is somewhere to send: the embedded default pays nothing.
async function spanExporter(signal: SignalConfig & { url: string }): Promise<SpanExporter> {
  if (signal.protocol === 'grpc') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
    return new OTLPTraceExporter({ url: signal.url });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: signal.url });
}

async function metricExporter(signal: SignalConfig & { url: string }): Promise<PushMetricExporter> {
  if (signal.protocol === 'grpc') {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-grpc');
    return new OTLPMetricExporter({ url: signal.url });
  }
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter({ url: signal.url });
}

const hasUrl = (signal: SignalConfig): signal is SignalConfig & { url: string } => signal.url !== undefined;

/**
 * The SDK's diagnostics as log lines: warnings and errors only (an export that failed, a queue
 * that dropped spans), each distinct message at most once a minute, so an unreachable collector
 * shows without flooding the log. The SDK drops what it cannot send; the service carries on.
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
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** What runs when the SDK is disabled: nothing, and nothing to stop. */
function disabled(resource: Resource): Telemetry {
  const telemetry: Telemetry = {
    traces: 'disabled',
    metrics: 'off',
    resource,
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
 * Sets up OpenTelemetry for this process, once, before anything else starts: W3C trace-context
 * propagation, the AsyncLocalStorage context manager, a tracer provider and — when the OTLP
 * endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`, or the per-signal ones) — batched OTLP
 * export of spans and periodic export of metrics, with the resource from `OTEL_SERVICE_NAME` and
 * `OTEL_RESOURCE_ATTRIBUTES`. Without an endpoint (the embedded default) nothing is recorded or
 * exported and the libraries' instruments stay no-ops, but trace context still flows through every
 * hop and into the logs. An unreachable collector costs dropped telemetry, never the service.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (running) throw new Error('telemetry is already started in this process');
  const config = telemetryConfigFromEnv(options.env ?? process.env);
  const logger = options.logger ?? createLogger({ service: config.serviceName ?? options.serviceName });
  for (const problem of config.problems) logger.warn('telemetry.config_ignored', { problem });

  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_INSTANCE_ID]: randomUUID(),
        ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
      }),
    )
    .merge(resourceFromAttributes(config.resourceAttributes))
    .merge(resourceFromAttributes(config.serviceName ? { [ATTR_SERVICE_NAME]: config.serviceName } : {}));

  if (config.disabled) return disabled(resource);
  diag.setLogger(diagnostics(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (hasUrl(config.traces)) {
    spanProcessors.push(new BatchSpanProcessor({ exporter: await spanExporter(config.traces) }));
  }
  const recording = spanProcessors.length > 0;
  const tracerProvider = new TracerProvider({
    resource,
    sampler: samplerOf(config.sampler, recording),
    spanProcessors,
  });

  const readers: IMetricReader[] = [...(options.metricReaders ?? [])];
  if (hasUrl(config.metrics)) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: await metricExporter(config.metrics),
        exportIntervalMillis: config.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(config.metricExportTimeoutMs, config.metricExportIntervalMs),
      }),
    );
  }
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers }) : undefined;

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  const timeoutMs = options.shutdownTimeoutMs ?? 5_000;
  let stopping: Promise<void> | undefined;
  const telemetry: Telemetry = {
    traces: hasUrl(config.traces) ? 'exported' : 'propagated',
    metrics: hasUrl(config.metrics) ? 'exported' : 'off',
    resource,
    async forceFlush() {
      await withTimeout(Promise.all([tracerProvider.forceFlush(), meterProvider?.forceFlush()]), timeoutMs);
    },
    shutdown() {
      stopping ??= (async () => {
        await withTimeout(Promise.all([tracerProvider.shutdown(), meterProvider?.shutdown()]), timeoutMs);
        trace.disable();
        metrics.disable();
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
