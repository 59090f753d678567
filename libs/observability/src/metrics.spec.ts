import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRICS, metricCatalogue, type MetricSpec } from './metrics.js';
import { prometheusLabel, prometheusName } from './prometheus.js';

// Attributes reviewed for personal data: each names code, a topic, a state or a machine. A new
// attribute has to be added here on purpose, which is the review.
const REVIEWED_ATTRIBUTES = new Set([
  'rpc.system.name',
  'rpc.method',
  'rpc.status_code',
  'error.type',
  'messaging.destination.name',
  'messaging.consumer.group.name',
  'cancuoc.stream.category',
  'cancuoc.append.outcome',
  'cancuoc.relay.name',
  'cancuoc.subscription.name',
  'cancuoc.dead_letter.reason',
  'cancuoc.job.state',
  'cancuoc.job.outcome',
  'cancuoc.station.id',
  // A refusal's outcome and reason are codes the guard chose, never the token or the request.
  'cancuoc.auth.outcome',
  'cancuoc.auth.reason',
]);

describe('metric catalogue', () => {
  const metrics = metricCatalogue();

  it('covers what the operators asked for (issue 9, point 2)', () => {
    const names = new Set(metrics.map((m) => m.name));
    for (const wanted of [
      'cancuoc.eventstore.events.appended', // append rate
      'cancuoc.relay.lag',
      'cancuoc.relay.backlog', // outbox backlog
      'cancuoc.projection.lag',
      'cancuoc.dlq.depth',
      'cancuoc.card_jobs.depth',
      'cancuoc.station.jobs.settled', // station throughput
      'rpc.server.call.duration', // gRPC latency and, by status code, errors
    ]) {
      assert.ok(names.has(wanted), wanted);
    }
    assert.ok(METRICS.projectionLag.attributes.some((a) => a.name === 'cancuoc.subscription.name'));
    assert.ok(METRICS.cardJobDepth.attributes.some((a) => a.name === 'cancuoc.job.state'));
    assert.ok(METRICS.rpcServerDuration.attributes.some((a) => a.name === 'rpc.status_code'));
  });

  it('names each metric once, in OpenTelemetry style, and each Prometheus series once', () => {
    assert.equal(new Set(metrics.map((m) => m.name)).size, metrics.length);
    assert.equal(new Set(metrics.map(prometheusName)).size, metrics.length);
    for (const m of metrics) {
      assert.match(m.name, /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, m.name);
      // Our own names live under `cancuoc.`; semantic-convention names never do.
      assert.equal(m.name.startsWith('cancuoc.'), !m.semanticConvention, m.name);
    }
  });

  it('uses the stable gRPC semantic convention: rpc.server.call.duration in seconds', () => {
    assert.equal(METRICS.rpcServerDuration.name, 'rpc.server.call.duration');
    assert.equal(METRICS.rpcServerDuration.unit, 's');
    assert.deepEqual(METRICS.rpcServerDuration.attributes.map((a) => a.name).slice(0, 3), [
      'rpc.system.name',
      'rpc.method',
      'rpc.status_code',
    ]);
  });

  it('gives buckets to histograms only, in ascending order', () => {
    for (const m of metrics as readonly MetricSpec[]) {
      if (m.kind !== 'histogram') {
        assert.equal(m.buckets, undefined, m.name);
        continue;
      }
      assert.ok(m.buckets && m.buckets.length > 0, m.name);
      assert.deepEqual(
        [...m.buckets].sort((a, b) => a - b),
        [...m.buckets],
        m.name,
      );
    }
  });

  it('uses only reviewed attributes, none of them personal data', () => {
    for (const m of metrics) {
      for (const a of m.attributes) assert.ok(REVIEWED_ATTRIBUTES.has(a.name), `${m.name}: ${a.name}`);
      assert.equal(new Set(m.attributes.map((a) => a.name)).size, m.attributes.length, m.name);
    }
  });
});

describe('Prometheus names', () => {
  it('spell the unit, drop annotations and mark counters as the collector exporter does', () => {
    assert.equal(prometheusName(METRICS.rpcServerDuration), 'rpc_server_call_duration_seconds');
    assert.equal(prometheusName(METRICS.eventsAppended), 'cancuoc_eventstore_events_appended_total');
    assert.equal(prometheusName(METRICS.relayLag), 'cancuoc_relay_lag_seconds');
    assert.equal(prometheusName(METRICS.cardJobDepth), 'cancuoc_card_jobs_depth');
    assert.equal(prometheusName(METRICS.consumerProcessDuration), 'messaging_process_duration_seconds');
    assert.equal(prometheusLabel('rpc.status_code'), 'rpc_status_code');
  });

  it('adds ratio to unit-1 gauges only and refuses a unit it cannot spell', () => {
    const base = { description: '', attributes: [], emittedBy: 'all', semanticConvention: false } as const;
    assert.equal(
      prometheusName({ ...base, name: 'cancuoc.x.used', kind: 'gauge', unit: '1' }),
      'cancuoc_x_used_ratio',
    );
    assert.equal(
      prometheusName({ ...base, name: 'cancuoc.x.seen', kind: 'counter', unit: '1' }),
      'cancuoc_x_seen_total',
    );
    assert.throws(
      () => prometheusName({ ...base, name: 'cancuoc.x', kind: 'gauge', unit: 'furlong' }),
      /furlong/,
    );
  });
});
