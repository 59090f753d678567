import { METRICS, prometheusLabel, prometheusName, type MetricKey } from '@cancuoc/observability';
import { MONITORING_API, type AlertingRule, type PrometheusRule } from './crds/prometheus-operator.js';
import { labels } from './labels.js';

/**
 * The alerting rules, written like the dashboard from the metric catalogue: each rule names its
 * metric by key and its labels by attribute, so a renamed metric or attribute renames the alert
 * (and `alerts.spec.ts` fails on a series or label the catalogue does not define). Series carry
 * `service_name`, the label the collector's Prometheus exporter makes from `service.name`.
 *
 * INTERNAL is kept for real server faults (issue 18), so every one pages: a client's mistake is a
 * client error, and a fault nobody looks at is a fault that stays.
 */
const series = (key: MetricKey, suffix = '') => `${prometheusName(METRICS[key])}${suffix}`;
const by = (...attributes: string[]) => `by (service_name, ${attributes.map(prometheusLabel).join(', ')})`;
const RUNBOOK = 'docs/operations.md#9-alerts';

/** Status codes that only a server fault produces: each one is an incident in the service's log. */
export const FAULT_STATUS_CODES = ['INTERNAL', 'UNKNOWN', 'DATA_LOSS'] as const;

export const ALERTS: readonly AlertingRule[] = [
  {
    alert: 'CancuocServerFault',
    expr:
      `sum ${by('rpc.method', 'rpc.status_code')} (increase(${series('rpcServerDuration', '_count')}` +
      `{${prometheusLabel('rpc.status_code')}=~"${FAULT_STATUS_CODES.join('|')}"}[5m])) > 0`,
    labels: { severity: 'page' },
    annotations: {
      summary:
        '{{ $labels.service_name }} answered {{ $labels.rpc_status_code }} on {{ $labels.rpc_method }}',
      description:
        'A gRPC call ended in a server fault. The service logged it as `grpc.unexpected_error` with the ' +
        'incident id the caller was given; the log entry has the stack, never the request.',
      runbook_url: RUNBOOK,
    },
  },
  {
    alert: 'CancuocDeadLettered',
    expr: `sum ${by('messaging.consumer.group.name', 'cancuoc.dead_letter.reason')} (increase(${series('deadLettered')}[15m])) > 0`,
    labels: { severity: 'ticket' },
    annotations: {
      summary: '{{ $labels.service_name }} dead-lettered records ({{ $labels.cancuoc_dead_letter_reason }})',
      description:
        'A consumer gave up on records and parked them on its `.dlq` topic: list them with `cancuoc ' +
        'dead-letters` and redrive once the cause is fixed.',
      runbook_url: 'docs/operations.md#5-redrive-a-dead-letter-queue',
    },
  },
  {
    alert: 'CancuocRelayLagging',
    expr: `max ${by('cancuoc.relay.name')} (${series('relayLag')}) > 60`,
    for: '10m',
    labels: { severity: 'page' },
    annotations: {
      summary: '{{ $labels.service_name }} relay {{ $labels.cancuoc_relay_name }} is {{ $value }} s behind',
      description:
        'Committed events are not reaching Kafka: subscribers (card production, agencies) see nothing new. ' +
        'Check the broker and the relay leader’s log.',
      runbook_url: RUNBOOK,
    },
  },
  {
    alert: 'CancuocProjectionLagging',
    expr: `max ${by('cancuoc.subscription.name')} (${series('projectionLag')}) > 300`,
    for: '10m',
    labels: { severity: 'ticket' },
    annotations: {
      summary:
        '{{ $labels.service_name }} projection {{ $labels.cancuoc_subscription_name }} is {{ $value }} s behind',
      description: 'A read model is stale. If it does not catch up, rebuild it (`cancuoc rebuild`).',
      runbook_url: 'docs/operations.md#4-rebuild-a-projection',
    },
  },
  {
    alert: 'CancuocRefusalBurst',
    expr: `sum ${by('cancuoc.auth.outcome', 'cancuoc.auth.reason')} (rate(${series('authRefusals')}[5m])) > 1`,
    for: '5m',
    labels: { severity: 'ticket' },
    annotations: {
      summary:
        '{{ $labels.service_name }} refuses more than one call a second ({{ $labels.cancuoc_auth_reason }})',
      description:
        'A steady stream of refusals from one reason is an attack, an expired client key or a certificate ' +
        'that no longer names its holder. The `auth.refused` log names the caller.',
      runbook_url: RUNBOOK,
    },
  },
];

export function alertRules(): PrometheusRule {
  return {
    apiVersion: MONITORING_API,
    kind: 'PrometheusRule',
    metadata: { name: 'cancuoc', labels: labels('cancuoc', 'telemetry') },
    spec: { groups: [{ name: 'cancuoc', rules: [...ALERTS] }] },
  };
}
