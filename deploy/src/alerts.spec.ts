import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { METRICS } from '@cancuoc/observability';
import { parseAllDocuments } from 'yaml';
import { ALERTS, FAULT_STATUS_CODES } from './alerts.js';
import { renderedDir } from './outputs.js';
import { OVERLAYS } from './overlays/index.js';
import { REPO_ROOT } from './paths.js';
import { catalogueSeries, unknownNames } from './promql-check.js';
import { schemaErrors } from './validate.js';

describe('alerting rules', () => {
  it('ask only for series and labels the metric catalogue defines', () => {
    const series = catalogueSeries();
    for (const rule of ALERTS) assert.deepEqual(unknownNames(rule.expr, series), [], rule.alert);
  });

  it('the check refuses a series or a label the catalogue does not define', () => {
    assert.deepEqual(unknownNames('sum(rate(cancuoc_nothing_total[5m])) > 0'), [
      'series cancuoc_nothing_total',
    ]);
    assert.deepEqual(unknownNames('max by (service_name, colour) (cancuoc_relay_lag_seconds) > 1'), [
      'label colour in by (…)',
    ]);
    assert.deepEqual(unknownNames('cancuoc_relay_lag_seconds{colour="red"} > 1'), [
      'label colour of cancuoc_relay_lag_seconds',
    ]);
  });

  it('page on every server fault and on no client error', () => {
    const rule = ALERTS.find((r) => r.alert === 'CancuocServerFault');
    assert.ok(rule);
    assert.equal(rule.labels.severity, 'page');
    assert.equal(rule.for, undefined, 'at once: one fault is an incident');
    const [, pattern] = /rpc_status_code=~"([^"]+)"/.exec(rule.expr) ?? [];
    assert.ok(pattern, rule.expr);
    const matcher = new RegExp(`^(?:${pattern})$`);
    const codes = METRICS.rpcServerDuration.attributes.find((a) => a.name === 'rpc.status_code')!.values!;
    assert.deepEqual(
      codes.filter((c) => matcher.test(c)),
      [...FAULT_STATUS_CODES].sort((a, b) => codes.indexOf(a) - codes.indexOf(b)),
    );
    for (const client of ['INVALID_ARGUMENT', 'NOT_FOUND', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'ABORTED'])
      assert.ok(!matcher.test(client), client);
  });

  it('are rendered into every overlay as a PrometheusRule that passes its closed schema', () => {
    for (const overlay of OVERLAYS) {
      const text = readFileSync(join(REPO_ROOT, renderedDir(overlay), '15-alerts.yaml'), 'utf8');
      const [rule, ...rest] = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
      assert.equal(rest.length, 0);
      assert.equal(rule!.kind, 'PrometheusRule');
      assert.deepEqual(schemaErrors(rule as never), [], overlay.name);
      const spec = rule!.spec as { groups: { rules: { alert: string }[] }[] };
      assert.deepEqual(
        spec.groups.flatMap((g) => g.rules.map((r) => r.alert)),
        ALERTS.map((r) => r.alert),
      );
    }
  });

  it('refuse a misspelt field (the schema is closed)', () => {
    const bad = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'cancuoc' },
      spec: { groups: [{ name: 'g', rules: [{ ...ALERTS[0], severity: 'page' }] }] },
    };
    assert.notDeepEqual(schemaErrors(bad as never), []);
  });
});
