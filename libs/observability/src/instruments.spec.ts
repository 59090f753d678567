import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { observeCardJobDepth, recordStationJobSettled } from './card-production.js';
import { CatalogueMeter } from './instruments.js';
import { METRICS } from './metrics.js';
import { pointsOf, startTestTelemetry, type TestTelemetry } from './testing/index.js';

describe('catalogue instruments', () => {
  let t: TestTelemetry;
  before(async () => (t = await startTestTelemetry()));
  after(() => t.shutdown());

  it('are made with the catalogue name, unit, description and histogram buckets', async () => {
    const meter = new CatalogueMeter('test');
    meter.add('eventsAppended', 3, { 'cancuoc.stream.category': 'citizen' });
    meter.record('appendDuration', 0.02, {
      'cancuoc.stream.category': 'citizen',
      'cancuoc.append.outcome': 'ok',
    });
    const stop = meter.observe('relayLag', (observe) => observe(1.5, { 'cancuoc.relay.name': 'r' }));
    const collected = await t.collectMetrics();
    stop();
    for (const key of ['eventsAppended', 'appendDuration', 'relayLag'] as const) {
      const metric = collected.find((m) => m.descriptor.name === METRICS[key].name);
      assert.ok(metric, key);
      assert.equal(metric.descriptor.unit, METRICS[key].unit);
      assert.equal(metric.descriptor.description, METRICS[key].description);
    }
    const histogram = collected.find(
      (m) => m.descriptor.name === METRICS.appendDuration.name,
    ) as HistogramMetricData;
    assert.equal(histogram.dataPointType, DataPointType.HISTOGRAM);
    assert.deepEqual(histogram.dataPoints[0]!.value.buckets.boundaries, [...METRICS.appendDuration.buckets]);
    assert.equal(pointsOf(collected, METRICS.relayLag.name)[0]!.value, 1.5);
  });

  it('stop reading a gauge once told to', async () => {
    const meter = new CatalogueMeter('test');
    let reads = 0;
    const stop = meter.observe('outboxBacklog', (observe) => {
      reads += 1;
      observe(7, { 'cancuoc.relay.name': 'gone' });
    });
    await t.collectMetrics();
    assert.equal(reads, 1);
    stop();
    await t.collectMetrics();
    assert.equal(reads, 1);
  });

  it('give card production its queue depth by every state, and station throughput in one call', async () => {
    const stop = observeCardJobDepth(async () => ({ queued: 4, leased: 1 }));
    recordStationJobSettled('station-hn-01', 'completed', new Date(Date.now() - 12_000));
    recordStationJobSettled('station-hn-01', 'lease_expired');
    const collected = await t.collectMetrics();
    stop();
    const depth = pointsOf(collected, METRICS.cardJobDepth.name).map((p) => [
      p.attributes['cancuoc.job.state'],
      p.value,
    ]);
    assert.deepEqual(
      new Map(depth as [string, number][]),
      new Map([
        ['queued', 4],
        ['leased', 1],
        ['failed', 0],
      ]),
    );
    const settled = pointsOf(collected, METRICS.stationJobsSettled.name);
    assert.deepEqual(
      settled
        .map((p) => [p.attributes['cancuoc.job.outcome'], p.attributes['cancuoc.station.id'], p.value])
        .sort(),
      [
        ['completed', 'station-hn-01', 1],
        ['lease_expired', 'station-hn-01', 1],
      ],
    );
    const duration = pointsOf(collected, METRICS.stationJobDuration.name);
    assert.equal(duration.length, 1);
    const value = duration[0]!.value as { count: number; sum: number };
    assert.equal(value.count, 1);
    assert.ok(value.sum >= 11.9 && value.sum < 20, String(value.sum));
  });
});
