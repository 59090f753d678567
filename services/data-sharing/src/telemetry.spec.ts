/**
 * Data sharing's share of the metrics, read through the real SDK with an on-demand reader: the
 * citizen projection's lag and backlog (`cancuoc.projection.*`, by subscription) and the inbound
 * consumer's dead-letter depth, as data sharing's own start-up wires them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { METRICS } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import { CITIZEN_PROJECTION } from './application/citizen-projection.js';
import { INBOUND_GROUP } from './data-sharing.module.js';
import { startHarness, type Harness } from './test-support/harness.js';
import { citizenInit } from './test-support/upstream.js';

describe('data sharing metrics (PostgreSQL, in-process transport)', () => {
  let t: TestTelemetry;
  let h: Harness;
  before(async () => {
    t = await startTestTelemetry('data-sharing');
    h = await startHarness({ agencies: ['alpha'], kafka: false });
  });
  after(async () => {
    await h?.close();
    await t?.shutdown();
  });

  it('reports the citizen projection’s lag and backlog by subscription, and the inbound DLQ depth', async () => {
    const projection = { 'cancuoc.subscription.name': CITIZEN_PROJECTION };
    const id = randomUUID();
    await h.upstream.publish(h.upstream.citizenRecord(id, citizenInit({ givenName: 'An' })));
    await h.projected(id, 1);
    const collected = await t.collectMetrics();
    const backlog = pointsOf(collected, METRICS.projectionBacklog.name).find((p) =>
      hasAttributes(p.attributes, projection),
    );
    const lag = pointsOf(collected, METRICS.projectionLag.name).find((p) =>
      hasAttributes(p.attributes, projection),
    );
    assert.equal(backlog?.value, 0, 'caught up: nothing past the checkpoint');
    assert.equal(lag?.value, 0);
    const dlq = pointsOf(collected, METRICS.deadLetterDepth.name).find((p) =>
      hasAttributes(p.attributes, { 'messaging.consumer.group.name': INBOUND_GROUP }),
    );
    assert.equal(dlq?.value, 0);
    assert.deepEqual(t.privacyViolations, []);
  });
});
