import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { metricCatalogue, prometheusName } from '@cancuoc/observability';
import { DASHBOARD_PATH } from './outputs.js';
import { REPO_ROOT } from './paths.js';
import { catalogueSeries, unknownNames } from './promql-check.js';

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

  it('charts every metric in the catalogue', () => {
    for (const m of metrics)
      assert.ok(
        exprs.some((e) => e.includes(prometheusName(m))),
        m.name,
      );
  });

  it('queries only series the catalogue defines, by labels their attributes define', () => {
    const series = catalogueSeries();
    for (const expr of exprs) assert.deepEqual(unknownNames(expr, series), [], expr);
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
