/**
 * The standard OpenTelemetry environment variables this SDK set-up reads. SDK 3.x no longer
 * configures tracing from the environment itself, so the variables operators know are read here,
 * from an explicit `env` (the manifests in deploy/ set them).
 */
export type OtlpProtocol = 'grpc' | 'http/protobuf';

export interface SignalConfig {
  /** Where to send it over OTLP; undefined: not exported. */
  readonly url: string | undefined;
  readonly protocol: OtlpProtocol;
}

export type SamplerConfig =
  | { readonly kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { readonly kind: 'traceidratio' | 'parentbased_traceidratio'; readonly ratio: number };

export interface TelemetryConfig {
  /** `OTEL_SDK_DISABLED=true`: no SDK at all, the API stays a no-op (no trace context either). */
  readonly disabled: boolean;
  readonly traces: SignalConfig;
  readonly metrics: SignalConfig;
  /** `OTEL_TRACES_SAMPLER` (+ `_ARG`); undefined: parent-based, always on. */
  readonly sampler: SamplerConfig | undefined;
  readonly metricExportIntervalMs: number;
  readonly metricExportTimeoutMs: number;
  /** `OTEL_SERVICE_NAME`, which wins over the name in code and in the resource attributes. */
  readonly serviceName: string | undefined;
  /** `OTEL_RESOURCE_ATTRIBUTES`, decoded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Values that were set but unusable, to report: telemetry never refuses to start a service. */
  readonly problems: readonly string[];
}

const value = (env: NodeJS.ProcessEnv, name: string) => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

function protocolOf(env: NodeJS.ProcessEnv, signal: string, problems: string[]): OtlpProtocol {
  const name = value(env, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)
    ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = value(env, name);
  if (raw === undefined || raw === 'http/protobuf') return 'http/protobuf';
  if (raw === 'grpc') return 'grpc';
  problems.push(`${name}=${raw} is not supported (grpc or http/protobuf); using http/protobuf`);
  return 'http/protobuf';
}

/**
 * The OTLP URL of one signal: its own endpoint as given, or the shared endpoint — with the
 * signal's path appended for OTLP/HTTP, as the specification says.
 */
function signalOf(
  env: NodeJS.ProcessEnv,
  signal: 'TRACES' | 'METRICS',
  exporterVariable: string,
  problems: string[],
): SignalConfig {
  const protocol = protocolOf(env, signal, problems);
  const exporter = value(env, exporterVariable);
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true' || exporter === 'none') {
    return { url: undefined, protocol };
  }
  if (exporter !== undefined && exporter !== 'otlp') {
    problems.push(`${exporterVariable}=${exporter} is not supported (otlp or none); using otlp`);
  }
  const own = value(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  if (own) return { url: own, protocol };
  const shared = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!shared) return { url: undefined, protocol };
  if (protocol === 'grpc') return { url: shared, protocol };
  return { url: `${shared.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}`, protocol };
}

function samplerOf(env: NodeJS.ProcessEnv, problems: string[]): SamplerConfig | undefined {
  const kind = value(env, 'OTEL_TRACES_SAMPLER');
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'always_on':
    case 'always_off':
    case 'parentbased_always_on':
    case 'parentbased_always_off':
      return { kind };
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      const raw = value(env, 'OTEL_TRACES_SAMPLER_ARG');
      const ratio = raw === undefined ? 1 : Number(raw);
      if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
        problems.push(`OTEL_TRACES_SAMPLER_ARG=${raw} is not a ratio between 0 and 1; using 1`);
        return { kind, ratio: 1 };
      }
      return { kind, ratio };
    }
    default:
      problems.push(`OTEL_TRACES_SAMPLER=${kind} is not supported; using parentbased_always_on`);
      return undefined;
  }
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const ms = Number(raw);
  if (Number.isInteger(ms) && ms > 0) return ms;
  problems.push(`${name}=${raw} is not a positive number of milliseconds; using ${fallback}`);
  return fallback;
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES`: `key=value` pairs separated by commas, percent-encoded. As the
 * specification asks, a malformed value is discarded whole.
 */
function resourceAttributesOf(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string> {
  const raw = value(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (raw === undefined) return {};
  const attributes: Record<string, string> = {};
  try {
    for (const pair of raw.split(',')) {
      if (pair.trim() === '') continue;
      const parts = pair.split('=');
      if (parts.length !== 2 || parts[0]!.trim() === '') throw new Error(pair);
      attributes[decodeURIComponent(parts[0]!.trim())] = decodeURIComponent(parts[1]!.trim());
    }
  } catch {
    problems.push('OTEL_RESOURCE_ATTRIBUTES is malformed (key=value,…, percent-encoded); ignored');
    return {};
  }
  return attributes;
}

export function telemetryConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const problems: string[] = [];
  return {
    disabled: value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true',
    traces: signalOf(env, 'TRACES', 'OTEL_TRACES_EXPORTER', problems),
    metrics: signalOf(env, 'METRICS', 'OTEL_METRICS_EXPORTER', problems),
    sampler: samplerOf(env, problems),
    metricExportIntervalMs: milliseconds(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000, problems),
    metricExportTimeoutMs: milliseconds(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000, problems),
    serviceName: value(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes: resourceAttributesOf(env, problems),
    problems,
  };
}
