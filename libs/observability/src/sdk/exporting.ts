import { getBooleanFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';

/** What the process's environment asks the SDK to do with each signal. */
export interface Exporting {
  /** `OTEL_SDK_DISABLED=true`: no SDK at all. */
  readonly disabled: boolean;
  readonly traces: boolean;
  readonly metrics: boolean;
}

/**
 * Whether a signal is exported. The SDK's own default, with no `OTEL_<SIGNAL>_EXPORTER`, is OTLP to
 * localhost; ours is to export only when told where: an exporter named explicitly, or an OTLP
 * endpoint. So the embedded platform and a developer's `node main.js` stay off the network and
 * silent, while the manifests' `OTEL_EXPORTER_OTLP_ENDPOINT` alone turns export on. The exporters
 * themselves are the SDK's, from the same variables.
 */
function exported(signal: 'TRACES' | 'METRICS'): boolean {
  const exporters = getStringListFromEnv(`OTEL_${signal}_EXPORTER`) ?? [];
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return (
    getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) !== undefined ||
    getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined
  );
}

/** Read from `process.env`, as the SDK reads it. */
export function exportingFromEnv(): Exporting {
  return {
    disabled: getBooleanFromEnv('OTEL_SDK_DISABLED'),
    traces: exported('TRACES'),
    metrics: exported('METRICS'),
  };
}
