/**
 * Card production's telemetry, read back through the real SDK with an in-memory exporter and an
 * on-demand metric reader: the job queue by state and station throughput (completed, failed,
 * lease expired, with lease-to-settlement time), and the card's trace from the consumed
 * application through personalisation and dispatch to the station's CompleteJob — the station
 * simulator sends the job's traceparent back. No span carries personal data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { METRICS, activeTraceparent } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import { CardJobStatus, EncodingFailureReason } from '@cancuoc/proto';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { StationSimulator } from './station/simulator.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { eventually, startFixture, stationTokens, type Fixture } from './test-support/fixture.js';
import { portrait } from './test-support/portraits.js';
import { TestStation } from './test-support/test-station.js';

const LEASE_MS = 60_000;
const COMPLETE_JOB = 'cancuoc.cardproduction.v1.EncodingStationService/CompleteJob';

/** The names of `span` and its ancestors, nearest first, each in `span`'s trace. */
function ancestry(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (
    let s: ReadableSpan | undefined = span;
    s;
    s = s.parentSpanContext && byId.get(s.parentSpanContext.spanId)
  ) {
    assert.equal(s.spanContext().traceId, span.spanContext().traceId);
    names.push(`${SpanKind[s.kind]} ${s.name}`);
  }
  return names;
}

describe('card production telemetry (PostgreSQL, Redis, in-memory exporter)', () => {
  let t: TestTelemetry;
  let f: Fixture;
  let n = 0;

  before(async () => {
    t = await startTestTelemetry('card-production');
    f = await startFixture({ config: { leaseMs: LEASE_MS } });
  });
  after(async () => {
    await f?.close();
    await t?.shutdown();
  });

  const metric = async (key: keyof typeof METRICS, attributes: Record<string, string>) =>
    pointsOf(await t.collectMetrics(), METRICS[key].name).find((p) => hasAttributes(p.attributes, attributes))
      ?.value;

  /** Publishes an application (within `traceparent`'s trace, if given) and waits for its card to be queued. */
  async function submit(traceparent?: string): Promise<string> {
    const applicationId = `app-telemetry-${++n}`;
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(
      f.running.transport,
      applicationChanged({ applicationId, face }),
      undefined,
      traceparent,
    );
    const card = await eventually(async () => {
      const reply = await f.admin
        .getCard({ card: { case: 'applicationId', value: applicationId } })
        .catch(() => undefined);
      return reply?.card?.status === CardJobStatus.QUEUED ? reply.card : undefined;
    }, `the card of ${applicationId} to be queued`);
    return card.cardId;
  }

  it('reports the job queue by state and a completed job, in the trace of the application it came from', async () => {
    // Enrollment's side, played by the test: a span whose traceparent goes out with the record.
    const root = trace.getTracer('test').startSpan('enrollment side', { kind: SpanKind.PRODUCER });
    const traceparent = context.with(trace.setSpan(context.active(), root), () => activeTraceparent());
    root.end();
    await submit(traceparent);
    assert.equal(await metric('cardJobDepth', { 'cancuoc.job.state': 'queued' }), 1);
    assert.equal(await metric('cardJobDepth', { 'cancuoc.job.state': 'leased' }), 0);
    assert.equal(await metric('cardJobDepth', { 'cancuoc.job.state': 'failed' }), 0);

    const simulator = new StationSimulator({
      address: f.running.grpc.address,
      tokens: stationTokens('hn-enc-07'),
      capacity: 1,
      trustedCscas: [f.csca],
      maxJobs: 1,
    });
    simulator.start();
    assert.deepEqual(await simulator.done, { completed: 1, failed: 0, voided: 0 });

    const station = { 'cancuoc.station.id': 'hn-enc-07' };
    assert.equal(await metric('stationJobsSettled', { ...station, 'cancuoc.job.outcome': 'completed' }), 1);
    const duration = pointsOf(await t.collectMetrics(), METRICS.stationJobDuration.name).find((p) =>
      hasAttributes(p.attributes, station),
    );
    assert.equal((duration?.value as { count: number } | undefined)?.count, 1);
    assert.equal(await metric('cardJobDepth', { 'cancuoc.job.state': 'queued' }), 0);

    await eventually(async () => t.spansNamed(COMPLETE_JOB).length >= 2, 'the CompleteJob spans');
    const spans = t.spans();
    const server = spans.find((s) => s.name === COMPLETE_JOB && s.kind === SpanKind.SERVER)!;
    assert.equal(server.spanContext().traceId, root.spanContext().traceId);
    const chain = ancestry(server, spans);
    assert.deepEqual(chain, [
      `SERVER ${COMPLETE_JOB}`,
      `CLIENT ${COMPLETE_JOB}`,
      'PRODUCER CardProduction.dispatch',
      'CLIENT EventStore.appendToStream',
      'CONSUMER process internal.enrollment.application.v1',
      'PRODUCER enrollment side',
    ]);
    // Personalisation hangs in the same trace, under the card's first append, with the portrait's fetch.
    const personalise = spans.find((s) => s.name === 'CardProduction.personalise');
    assert.ok(personalise);
    assert.equal(personalise.attributes['cancuoc.personalisation.outcome'], 'queued');
    assert.deepEqual(ancestry(personalise, spans).slice(1), chain.slice(3));
    const dispatch = spans.find((s) => s.name === 'CardProduction.dispatch')!;
    assert.equal(dispatch.attributes['cancuoc.dispatch.outcome'], 'sent');
    assert.ok(
      spans.some(
        (s) =>
          s.name === 'EventStore.appendToStream' &&
          s.parentSpanContext?.spanId === dispatch.spanContext().spanId,
      ),
      'the lease is appended under the dispatch',
    );
  });

  it('counts a lease that ran out and a failed job as settlements of the station', async () => {
    await submit();
    const station = await new TestStation(f.running.grpc.address, 'hn-enc-08').open(1);
    try {
      await station.nextJob();
      assert.equal(await metric('cardJobDepth', { 'cancuoc.job.state': 'leased' }), 1);
      f.clock.advance(LEASE_MS + 1_000);
      assert.equal(await f.running.sweepLeases(), 1);
      const labels = { 'cancuoc.station.id': 'hn-enc-08' };
      assert.equal(
        await metric('stationJobsSettled', { ...labels, 'cancuoc.job.outcome': 'lease_expired' }),
        1,
      );

      // Dispatched again (the expired lease no longer counts against the station): it fails this time.
      const again = await station.nextJob();
      const { disposition } = await station.client.failJob({
        jobId: again.jobId,
        leaseId: again.leaseId,
        reason: EncodingFailureReason.STATION_FAULT,
        detail: 'printer jammed',
      });
      assert.ok(disposition);
      assert.equal(await metric('stationJobsSettled', { ...labels, 'cancuoc.job.outcome': 'failed' }), 1);
      assert.equal(
        await metric('stationJobsSettled', { ...labels, 'cancuoc.job.outcome': 'completed' }),
        undefined,
      );
    } finally {
      station.close();
    }
  });

  it('puts no personal data in any span', () => {
    assert.ok(t.spansChecked > 10);
    assert.deepEqual(t.privacyViolations, []);
  });
});
