import {
  METRICS,
  prometheusLabel,
  prometheusName,
  type MetricKey,
  type MetricSpec,
} from '@cancuoc/observability';

/**
 * The Grafana dashboard, generated from the metric catalogue: each panel names catalogue metrics by
 * key, and the PromQL is written from their Prometheus names, so a renamed metric renames its
 * queries. Series are selected by `service_name`, the label the collector's Prometheus exporter
 * makes from the `service.name` resource attribute.
 */
type Query =
  | { readonly rate: MetricKey; readonly by: readonly string[]; readonly where?: string }
  | { readonly gauge: MetricKey; readonly by: readonly string[] }
  | { readonly quantile: number; readonly of: MetricKey; readonly by: readonly string[] }
  | { readonly ratioOf: MetricKey; readonly where: string; readonly by: readonly string[] };

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly description?: string;
}

interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const SERVICE = 'service_name';
const selector = (extra?: string) => `{${[`${SERVICE}=~"$service"`, ...(extra ? [extra] : [])].join(', ')}}`;
const label = (name: string) => prometheusLabel(name);

const ROWS: readonly RowSpec[] = [
  {
    title: 'gRPC',
    panels: [
      {
        title: 'Calls per second by status code',
        unit: 'reqps',
        queries: [{ rate: 'rpcServerDuration', by: [SERVICE, 'rpc.status_code'] }],
      },
      {
        title: 'Error ratio by method (status other than OK)',
        unit: 'percentunit',
        queries: [
          { ratioOf: 'rpcServerDuration', where: 'rpc_status_code!="OK"', by: [SERVICE, 'rpc.method'] },
        ],
      },
      {
        title: 'Latency p50 / p95 / p99 by method',
        unit: 's',
        queries: [0.5, 0.95, 0.99].map((q) => ({
          quantile: q,
          of: 'rpcServerDuration' as const,
          by: [SERVICE, 'rpc.method'],
        })),
      },
    ],
  },
  {
    title: 'Authentication and authorization',
    panels: [
      {
        title: 'Refused calls by outcome and reason',
        unit: 'reqps',
        description:
          'A burst from one reason is an attack, an expired client key or a certificate that does not match.',
        queries: [{ rate: 'authRefusals', by: [SERVICE, 'cancuoc.auth.outcome', 'cancuoc.auth.reason'] }],
      },
      {
        title: 'Refused calls by method',
        unit: 'reqps',
        queries: [{ rate: 'authRefusals', by: [SERVICE, 'rpc.method'] }],
      },
    ],
  },
  {
    title: 'Event store and outbox relay',
    panels: [
      {
        title: 'Append rate',
        unit: 'ops',
        queries: [{ rate: 'eventsAppended', by: [SERVICE, 'cancuoc.stream.category'] }],
      },
      {
        title: 'Append latency p95 and lost races',
        unit: 's',
        queries: [
          { quantile: 0.95, of: 'appendDuration', by: [SERVICE] },
          { rate: 'appendDuration', by: [SERVICE], where: 'cancuoc_append_outcome="conflict"' },
        ],
      },
      {
        title: 'Relay lag',
        unit: 's',
        queries: [{ gauge: 'relayLag', by: [SERVICE, 'cancuoc.relay.name'] }],
      },
      {
        title: 'Outbox backlog',
        unit: 'short',
        queries: [{ gauge: 'outboxBacklog', by: [SERVICE, 'cancuoc.relay.name'] }],
      },
      {
        title: 'Records published per topic',
        unit: 'ops',
        queries: [{ rate: 'recordsPublished', by: [SERVICE, 'messaging.destination.name'] }],
      },
    ],
  },
  {
    title: 'Projections',
    panels: [
      {
        title: 'Projection lag per subscription',
        unit: 's',
        queries: [{ gauge: 'projectionLag', by: [SERVICE, 'cancuoc.subscription.name'] }],
      },
      {
        title: 'Projection backlog per subscription',
        unit: 'short',
        queries: [{ gauge: 'projectionBacklog', by: [SERVICE, 'cancuoc.subscription.name'] }],
      },
    ],
  },
  {
    title: 'Consumers and dead letters',
    panels: [
      {
        title: 'Consumer handling time p95',
        unit: 's',
        queries: [
          { quantile: 0.95, of: 'consumerProcessDuration', by: [SERVICE, 'messaging.consumer.group.name'] },
        ],
      },
      {
        title: 'Dead-lettered records per second',
        unit: 'ops',
        queries: [
          {
            rate: 'deadLettered',
            by: [SERVICE, 'messaging.consumer.group.name', 'cancuoc.dead_letter.reason'],
          },
        ],
      },
      {
        title: 'DLQ depth (waiting for redrive)',
        unit: 'short',
        queries: [
          { gauge: 'deadLetterDepth', by: ['messaging.destination.name', 'messaging.consumer.group.name'] },
        ],
      },
    ],
  },
  {
    title: 'Card production',
    panels: [
      {
        title: 'Job queue depth by state',
        unit: 'short',
        queries: [{ gauge: 'cardJobDepth', by: ['cancuoc.job.state'] }],
      },
      {
        title: 'Station throughput by outcome',
        unit: 'ops',
        queries: [{ rate: 'stationJobsSettled', by: ['cancuoc.job.outcome'] }],
      },
      {
        title: 'Job time at station p95',
        unit: 's',
        queries: [{ quantile: 0.95, of: 'stationJobDuration', by: [] }],
      },
    ],
  },
];

const byClause = (by: readonly string[], extra: readonly string[] = []) => {
  const labels = [...extra, ...by.map(label)];
  return labels.length > 0 ? ` by (${labels.join(', ')})` : '';
};

function series(metric: MetricSpec): string {
  return metric.kind === 'histogram' ? `${prometheusName(metric)}_count` : prometheusName(metric);
}

/** The PromQL of a query and the metrics it reads (for the tests). */
export function promql(query: Query): { expr: string; legend: string; metric: MetricSpec } {
  const window = '[$__rate_interval]';
  if ('rate' in query) {
    const metric: MetricSpec = METRICS[query.rate];
    return {
      expr: `sum${byClause(query.by)} (rate(${series(metric)}${selector(query.where)}${window}))`,
      legend: legendOf(query.by),
      metric,
    };
  }
  if ('gauge' in query) {
    const metric: MetricSpec = METRICS[query.gauge];
    return {
      expr: `max${byClause(query.by)} (${prometheusName(metric)}${selector()})`,
      legend: legendOf(query.by),
      metric,
    };
  }
  if ('quantile' in query) {
    const metric: MetricSpec = METRICS[query.of];
    const buckets = `rate(${prometheusName(metric)}_bucket${selector()}${window})`;
    return {
      expr: `histogram_quantile(${query.quantile}, sum${byClause(query.by, ['le'])} (${buckets}))`,
      legend: `p${Math.round(query.quantile * 100)} ${legendOf(query.by)}`.trim(),
      metric,
    };
  }
  const metric: MetricSpec = METRICS[query.ratioOf];
  const count = (where?: string) =>
    `sum${byClause(query.by)} (rate(${series(metric)}${selector(where)}${window}))`;
  return { expr: `${count(query.where)} / ${count()}`, legend: legendOf(query.by), metric };
}

function legendOf(by: readonly string[]): string {
  return by.map((l) => `{{${label(l)}}}`).join(' ');
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    const width = 24 / Math.min(row.panels.length, 3);
    row.panels.forEach((panel, i) => {
      const column = i % 3;
      if (i > 0 && column === 0) y += 8;
      const queries = panel.queries.map(promql);
      panels.push({
        id: id++,
        type: 'timeseries',
        title: panel.title,
        description: panel.description ?? [...new Set(queries.map((q) => q.metric.description))].join(' '),
        datasource: DATASOURCE,
        gridPos: { h: 8, w: width, x: column * width, y },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options: {
          legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
          tooltip: { mode: 'multi', sort: 'desc' },
        },
        targets: queries.map((q, n) => ({
          refId: String.fromCharCode(65 + n),
          datasource: DATASOURCE,
          expr: q.expr,
          legendFormat: q.legend,
        })),
      });
    });
    y += 8;
  }
  return {
    title: 'Cancuoc',
    uid: 'cancuoc-overview',
    description: 'Generated from the metric catalogue in @cancuoc/observability by npm run deploy:render.',
    tags: ['cancuoc'],
    timezone: 'browser',
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' },
        {
          name: 'service',
          label: 'Service',
          type: 'query',
          datasource: DATASOURCE,
          definition: `label_values(${SERVICE})`,
          query: { query: `label_values(${SERVICE})`, refId: 'service' },
          includeAll: true,
          multi: true,
          allValue: '.*',
          refresh: 2,
          sort: 1,
        },
      ],
    },
    panels,
  };
}
