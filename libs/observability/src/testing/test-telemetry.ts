import { TraceFlags, type Attributes } from '@opentelemetry/api';
import { MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { createLogger } from '../logger.js';
import { startTelemetry, type Telemetry } from '../sdk/start-telemetry.js';
import { PrivacyGuardSpanProcessor, type PrivacyViolation } from './privacy-guard.js';

/** A metric reader collected on demand, instead of on a timer. */
class OnDemandMetricReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Keeps every sampled span as it ends. Not `SimpleSpanProcessor` with an in-memory exporter: that
 * exports only once the resource detectors' asynchronous attributes (`host.id`) have settled, so a
 * span would appear a tick after it ended, and tests assert right after the call.
 */
class EndedSpans implements SpanProcessor {
  spans: ReadableSpan[] = [];

  onStart(): void {
    // Only ended spans are kept.
  }

  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) this.spans.push(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestTelemetry {
  readonly telemetry: Telemetry;
  /** Every span ended so far (since the last `reset`). */
  spans(): ReadableSpan[];
  /** Spans whose name is `name`. */
  spansNamed(name: string): ReadableSpan[];
  reset(): void;
  /** Collects every instrument now (observable gauges call their callbacks). */
  collectMetrics(): Promise<MetricData[]>;
  /** What the privacy guard found in every span so far (never reset). */
  readonly privacyViolations: readonly PrivacyViolation[];
  /** How many spans the privacy guard has checked. */
  readonly spansChecked: number;
  shutdown(): Promise<void>;
}

/**
 * The real SDK set-up (`startTelemetry`, NodeSDK) with the ended spans kept in memory, the privacy
 * guard and a metric reader collected on demand, for tests. They replace the exporters the
 * environment would configure, so nothing is exported over the network.
 */
export async function startTestTelemetry(serviceName = 'cancuoc-test'): Promise<TestTelemetry> {
  const ended = new EndedSpans();
  const guard = new PrivacyGuardSpanProcessor();
  const reader = new OnDemandMetricReader();
  const telemetry = await startTelemetry({
    serviceName,
    logger: createLogger({ service: serviceName, level: 'error' }),
    spanProcessors: [guard, ended],
    metricReaders: [reader],
  });
  return {
    telemetry,
    spans: () => [...ended.spans],
    spansNamed: (name) => ended.spans.filter((s) => s.name === name),
    reset: () => void (ended.spans = []),
    async collectMetrics() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
    get privacyViolations() {
      return guard.violations;
    },
    get spansChecked() {
      return guard.checked;
    },
    shutdown: () => telemetry.shutdown(),
  };
}

/** The points of metric `name` in `collected`, with their attributes. */
export function pointsOf(collected: readonly MetricData[], name: string): DataPoint<unknown>[] {
  return collected
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

/** Whether `attributes` include every pair of `expected`. */
export function hasAttributes(attributes: Attributes, expected: Attributes): boolean {
  return Object.entries(expected).every(([key, value]) => attributes[key] === value);
}
