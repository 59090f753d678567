import type { MetricAttribute, MetricSpec } from './metrics.js';

/**
 * How an OpenTelemetry metric is named once the collector's Prometheus exporter has translated it
 * (OpenTelemetry's Prometheus compatibility rules, with unit and type suffixes on): dots become
 * underscores, the unit is spelled out (`s` → `_seconds`), annotations such as `{event}` are
 * dropped, and monotonic counters end in `_total`. Dashboards and alerts are written against these.
 */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  s: 'seconds',
  ms: 'milliseconds',
  By: 'bytes',
};

function sanitise(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');
}

function unitSuffix(metric: MetricSpec): string | undefined {
  const unit = metric.unit.replace(/\{[^}]*\}/g, '');
  if (unit === '') return undefined;
  if (unit === '1') return metric.kind === 'gauge' ? 'ratio' : undefined;
  const suffix = UNIT_SUFFIXES[unit];
  if (!suffix) throw new Error(`no Prometheus spelling for unit "${metric.unit}" of ${metric.name}`);
  return suffix;
}

/** The Prometheus series name (for a histogram, the base of `_bucket`, `_sum` and `_count`). */
export function prometheusName(metric: MetricSpec): string {
  let name = sanitise(metric.name);
  const suffix = unitSuffix(metric);
  if (suffix && !name.endsWith(`_${suffix}`)) name = `${name}_${suffix}`;
  if (metric.kind === 'counter' && !name.endsWith('_total')) name = `${name}_total`;
  return name;
}

/** The Prometheus label an attribute becomes. */
export function prometheusLabel(attribute: MetricAttribute | string): string {
  return sanitise(typeof attribute === 'string' ? attribute : attribute.name);
}
