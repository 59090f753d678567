import { createHash } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT } from './environment.js';
import { COLLECTOR, labels, selectorLabels } from './labels.js';
import { COLLECTOR_METRICS_PORT } from './network-policies.js';
import type { Overlay } from './overlay.js';
import { CONTAINER_SECURITY, podSecurityContext } from './security.js';

/** Pinned by the digest Renovate recorded for this tag (prometheus/client_java's examples). */
export const COLLECTOR_IMAGE =
  'otel/opentelemetry-collector-contrib:0.152.1@sha256:fa1f6ea8dabd3042fabf4411eed7fa52f253edd8940140bec89a573e62a24eb7';
/** The contrib image's non-root user. */
const COLLECTOR_UID = 10001;
const HEALTH_PORT = 13133;

/**
 * OTLP in (gRPC and HTTP); metrics out to Prometheus (scraped; resource attributes such as
 * `service.name` become labels, which the dashboard filters by); traces and logs out over OTLP to
 * the overlay's backend, or to the collector's own log in dev.
 */
export function collectorConfig(overlay: Overlay): Record<string, unknown> {
  const onward = overlay.collector.otlpEndpoint === 'debug' ? 'debug' : 'otlp_grpc';
  const processors = ['memory_limiter', 'batch'];
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` },
          http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` },
        },
      },
    },
    processors: {
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
      batch: { timeout: '5s' },
    },
    exporters: {
      prometheus: {
        endpoint: `0.0.0.0:${COLLECTOR_METRICS_PORT}`,
        resource_to_telemetry_conversion: { enabled: true },
      },
      ...(onward === 'debug'
        ? { debug: { verbosity: 'basic' } }
        : { otlp_grpc: { endpoint: overlay.collector.otlpEndpoint, sending_queue: { enabled: true } } }),
    },
    extensions: { health_check: { endpoint: `0.0.0.0:${HEALTH_PORT}` } },
    service: {
      extensions: ['health_check'],
      pipelines: {
        traces: { receivers: ['otlp'], processors, exporters: [onward] },
        metrics: { receivers: ['otlp'], processors, exporters: ['prometheus'] },
        logs: { receivers: ['otlp'], processors, exporters: [onward] },
      },
    },
  };
}

export function collectorObjects(overlay: Overlay) {
  const podLabels = labels(COLLECTOR, 'telemetry');
  const selector = selectorLabels(COLLECTOR, 'telemetry');
  const health = { httpGet: { path: '/', port: HEALTH_PORT } };
  const config = stringify(collectorConfig(overlay));
  // A changed configuration changes the pod template, so applying it rolls the collector.
  const checksum = createHash('sha256').update(config).digest('hex');
  return [
    new ConfigMap({ metadata: { name: COLLECTOR, labels: podLabels }, data: { 'config.yaml': config } }),
    new Deployment({
      metadata: { name: COLLECTOR, labels: podLabels },
      spec: {
        replicas: overlay.collector.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: podLabels, annotations: { 'cancuoc.io/config-sha256': checksum } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(COLLECTOR_UID, COLLECTOR_UID),
            containers: [
              {
                name: COLLECTOR,
                image: COLLECTOR_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: ['--config=/etc/otelcol/config.yaml'],
                ports: [
                  { name: 'otlp-grpc', containerPort: OTLP_GRPC_PORT, protocol: 'TCP' },
                  { name: 'otlp-http', containerPort: OTLP_HTTP_PORT, protocol: 'TCP' },
                  { name: 'metrics', containerPort: COLLECTOR_METRICS_PORT, protocol: 'TCP' },
                ],
                resources: overlay.collector.resources,
                securityContext: CONTAINER_SECURITY,
                readinessProbe: { ...health, periodSeconds: 5 },
                livenessProbe: { ...health, periodSeconds: 10, failureThreshold: 3 },
                volumeMounts: [{ name: 'config', mountPath: '/etc/otelcol', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: COLLECTOR } }],
          },
        },
      },
    }),
    new Service({
      metadata: { name: COLLECTOR, labels: podLabels },
      spec: {
        selector,
        ports: [
          {
            name: 'otlp-grpc',
            port: OTLP_GRPC_PORT,
            targetPort: 'otlp-grpc',
            protocol: 'TCP',
            appProtocol: 'grpc',
          },
          { name: 'otlp-http', port: OTLP_HTTP_PORT, targetPort: 'otlp-http', protocol: 'TCP' },
          { name: 'metrics', port: COLLECTOR_METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    }),
  ];
}
