import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { metricCatalogue, prometheusLabel, prometheusName } from '@cancuoc/observability';
import { DASHBOARD_PATH } from './outputs.js';
import { REPO_ROOT } from './paths.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, DASHBOARD_PATH), 'utf8')) as {
  panels: Panel[];
  uid: string;
};
const graphs = dashboard.panels.filter((p) => p.type === 'timeseries');
const exprs = graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe('Grafana dashboard (committed JSON)', () => {
  const metrics = metricCatalogue();
  const series = new Map<string, (typeof metrics)[number]>();
  for (const m of metrics) {
    const base = prometheusName(m);
    for (const name of m.kind === 'histogram' ? [`${base}_bucket`, `${base}_count`, `${base}_sum`] : [base])
      series.set(name, m);
  }

  it('charts every metric in the catalogue', () => {
    for (const m of metrics)
      assert.ok(
        exprs.some((e) => e.includes(prometheusName(m))),
        m.name,
      );
  });

  it('queries only series the catalogue defines, by labels their attributes define', () => {
    for (const expr of exprs) {
      for (const [, name, selector] of expr.matchAll(/([a-z_:][a-z0-9_:]*)\{([^}]*)\}/g)) {
        const metric = series.get(name!);
        assert.ok(metric, `${name} in ${expr}`);
        const labels = new Set(['service_name', ...metric.attributes.map(prometheusLabel)]);
        for (const [, label] of selector!.matchAll(/([a-z_]+)\s*(=~|!=|=)/g))
          assert.ok(labels.has(label!), `${label} in ${expr}`);
        for (const [, group] of expr.matchAll(/by \(([^)]*)\)/g)) {
          for (const label of group!.split(',').map((l) => l.trim())) {
            assert.ok(label === 'le' || labels.has(label), `${label} in ${expr}`);
          }
        }
      }
    }
  });

  it('lays panels out without overlaps, with unique ids', () => {
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
    }
  });
});
