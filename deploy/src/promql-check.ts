import { metricCatalogue, prometheusLabel, prometheusName, type MetricSpec } from '@cancuoc/observability';

/** Every Prometheus series the catalogue defines (a histogram's three), to its metric. */
export function catalogueSeries(): Map<string, MetricSpec> {
  const series = new Map<string, MetricSpec>();
  for (const m of metricCatalogue()) {
    const base = prometheusName(m);
    for (const name of m.kind === 'histogram' ? [`${base}_bucket`, `${base}_count`, `${base}_sum`] : [base])
      series.set(name, m);
  }
  return series;
}

/**
 * What a PromQL expression names that the metric catalogue does not define: series, labels in a
 * selector, labels in a `by (…)`. Empty when the expression only asks for what Cancuoc emits — the
 * check the dashboard and the alerting rules share, so a renamed metric fails their tests instead
 * of leaving a panel blank or an alert silent.
 */
export function unknownNames(expr: string, series = catalogueSeries()): string[] {
  const problems: string[] = [];
  // A series is a name followed by its selector, its range or the parenthesis that closes it; the
  // label lists of `by (…)` are read apart.
  const selectors = expr.replace(/by \([^)]*\)/g, 'by ()');
  const named = [...selectors.matchAll(/([a-z_:][a-z0-9_:]*)\s*(\{[^}]*\}|\[|\))/g)];
  if (named.length === 0) problems.push(`no series in ${expr}`);
  const allowed = new Set(['service_name', 'le']);
  for (const [, name, selector] of named) {
    const metric = series.get(name!);
    if (!metric) {
      problems.push(`series ${name}`);
      continue;
    }
    for (const a of metric.attributes) allowed.add(prometheusLabel(a));
    for (const [, label] of selector!.matchAll(/([a-z_]+)\s*(=~|!~|!=|=)/g))
      if (!allowed.has(label!)) problems.push(`label ${label} of ${name}`);
  }
  for (const [, group] of expr.matchAll(/by \(([^)]*)\)/g))
    for (const label of group!.split(',').map((l) => l.trim()))
      if (!allowed.has(label)) problems.push(`label ${label} in by (…)`);
  return problems;
}
