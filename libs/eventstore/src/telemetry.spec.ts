import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { activeTraceparent, inSpan, METRICS, traceparentOf } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import { WrongExpectedVersionError } from './errors.js';
import { backlogOf } from './sql/backlog.js';
import { Subscription } from './subscription.js';
import { backends, postgresql, type OpenStore } from './test-support/backends.js';

const metadata = { actor: 'test:writer' };
const citizen = (n: number) => `citizen-0190f3a2-7d1c-7c3e-9a4b-${n.toString().padStart(12, '0')}`;

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let t: TestTelemetry;
before(async () => (t = await startTestTelemetry()));
after(() => t.shutdown());

for (const backend of backends) {
  describe(`event store telemetry (${backend.name})`, () => {
    let open: OpenStore;
    before(async () => (open = await backend.open()));
    after(() => open.close());
    beforeEach(() => t.reset());

    it('an append is a span in the caller’s trace, and its events record that span as their traceparent', async () => {
      const request = trace.getTracer('test').startSpan('request');
      await inSpan(request, () =>
        open.store.appendToStream(citizen(1), [{ type: 'CitizenRegistered', data: { name: 'Võ Thị Sáu' } }], {
          metadata,
          expectedVersion: 'no_stream',
        }),
      );
      const [append] = t.spansNamed('EventStore.appendToStream');
      assert.ok(append);
      assert.equal(append.kind, SpanKind.CLIENT);
      assert.equal(append.parentSpanContext?.spanId, request.spanContext().spanId);
      assert.deepEqual(
        { ...append.attributes },
        {
          'db.system.name': 'postgresql',
          'db.operation.name': 'appendToStream',
          'cancuoc.stream.category': 'citizen',
          'cancuoc.eventstore.streams': 1,
          'cancuoc.eventstore.events': 1,
          'cancuoc.append.outcome': 'ok',
        },
      );
      const { events } = await open.store.readStream(citizen(1));
      assert.equal(events[0]!.metadata.traceparent, traceparentOf(append.spanContext()));
    });

    it('keeps a traceparent the caller gave, and starts a trace when there is no active span', async () => {
      const given = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await open.store.appendToStream(citizen(2), [{ type: 'A', data: {} }], {
        metadata: { ...metadata, traceparent: given },
      });
      await open.store.appendToStream(citizen(2), [{ type: 'B', data: {} }], { metadata });
      const { events } = await open.store.readStream(citizen(2));
      assert.equal(events[0]!.metadata.traceparent, given);
      const [, second] = t.spansNamed('EventStore.appendToStream');
      assert.equal(second!.parentSpanContext, undefined);
      assert.equal(events[1]!.metadata.traceparent, traceparentOf(second!.spanContext()));
    });

    it('counts appended events by aggregate type and times appends by outcome, a lost race as conflict', async () => {
      await open.store.appendToStream(
        citizen(3),
        [
          { type: 'A', data: {} },
          { type: 'B', data: {} },
        ],
        {
          metadata,
          expectedVersion: 'no_stream',
        },
      );
      await open.store.appendToStream(
        'card-0190f3a2-7d1c-7c3e-9a4b-000000000001',
        [{ type: 'A', data: {} }],
        {
          metadata,
        },
      );
      await assert.rejects(
        open.store.appendToStream(citizen(3), [{ type: 'C', data: {} }], { metadata, expectedVersion: 0 }),
        WrongExpectedVersionError,
      );
      const conflict = t.spansNamed('EventStore.appendToStream').at(-1)!;
      assert.equal(conflict.status.code, SpanStatusCode.ERROR);
      assert.equal(conflict.attributes['cancuoc.append.outcome'], 'conflict');
      assert.equal(conflict.attributes['error.type'], 'WrongExpectedVersionError');
      assert.deepEqual(t.privacyViolations, []);

      const collected = await t.collectMetrics();
      const appended = pointsOf(collected, METRICS.eventsAppended.name);
      assert.ok(
        (appended.find((p) => hasAttributes(p.attributes, { 'cancuoc.stream.category': 'card' }))
          ?.value as number) >= 1,
      );
      assert.ok(
        (appended.find((p) => hasAttributes(p.attributes, { 'cancuoc.stream.category': 'citizen' }))
          ?.value as number) >= 2,
      );
      const durations = pointsOf(collected, METRICS.appendDuration.name);
      assert.ok(
        durations.some((p) =>
          hasAttributes(p.attributes, {
            'cancuoc.stream.category': 'citizen',
            'cancuoc.append.outcome': 'conflict',
          }),
        ),
      );
      for (const p of [...appended, ...durations]) {
        assert.deepEqual(
          Object.keys(p.attributes).filter(
            (k) => !['cancuoc.stream.category', 'cancuoc.append.outcome'].includes(k),
          ),
          [],
        );
      }
    });

    it('a bulk append of new streams is one span, counted per aggregate type', async () => {
      await open.store.appendToStreams(
        [10, 11, 12].map((n) => ({
          streamId: citizen(n),
          events: [{ type: 'A', data: {} }],
          expectedVersion: 'no_stream',
        })),
        { metadata },
      );
      assert.equal(t.spansNamed('EventStore.appendToStreams').length, 1);
      assert.equal(t.spansNamed('EventStore.appendToStream').length, 0);
      const { events } = await open.store.readStream(citizen(11));
      assert.equal(
        events[0]!.metadata.traceparent,
        traceparentOf(t.spansNamed('EventStore.appendToStreams')[0]!.spanContext()),
      );
    });

    it('a subscription batch is a span of its own, linked to the appends of its events', async () => {
      // The subscription reads from the start, in as many batches as the server's snapshot allows
      // (another session's open transaction holds later events back), so each handled batch is
      // matched to its own span.
      const handled: { streams: string[]; traceparent: string | undefined }[] = [];
      const subscription = new Subscription(open.store, {
        name: `projection-${backend.name}`,
        pollIntervalMs: 100,
        handle: async (events) =>
          void handled.push({ streams: events.map((e) => e.streamId), traceparent: activeTraceparent() }),
      });
      const { nextExpectedVersion } = await open.store.appendToStream(
        citizen(20),
        [{ type: 'A', data: {} }],
        { metadata },
      );
      await open.store.appendToStream(citizen(20), [{ type: 'B', data: {} }], {
        metadata,
        expectedVersion: nextExpectedVersion,
      });
      const appends = t.spansNamed('EventStore.appendToStream').map((s) => s.spanContext().spanId);
      await subscription.start();
      const count = () => handled.flatMap((h) => h.streams).filter((s) => s === citizen(20)).length;
      try {
        await eventually(async () => count() === 2);
      } finally {
        await subscription.stop();
      }
      const batches = t.spansNamed(`Subscription projection-${backend.name}`);
      assert.ok(batches.length >= 1);
      for (const batch of batches) {
        assert.equal(batch.parentSpanContext, undefined);
        assert.equal(batch.attributes['cancuoc.subscription.name'], `projection-${backend.name}`);
      }
      const linked = new Set(batches.flatMap((b) => b.links.map((l) => l.context.spanId)));
      for (const id of appends) assert.ok(linked.has(id), 'linked to each append');
      const spanIds = new Set(batches.map((b) => b.spanContext().spanId));
      for (const { traceparent } of handled) {
        assert.ok(spanIds.has(traceparent?.split('-')[2] ?? ''), 'the handler runs in its batch span');
      }
    });

    it('measures a reader’s backlog and the age of its oldest unread event', async () => {
      await open.store.db.query(
        `INSERT INTO es_subscriptions (subscription_id) VALUES ('behind') ON CONFLICT DO NOTHING`,
      );
      const before = await backlogOf(open.store.db, 'behind');
      await open.store.appendToStream(citizen(30), [{ type: 'A', data: {} }], { metadata });
      const after = await backlogOf(open.store.db, 'behind');
      assert.equal(after.events, before.events + 1);
      assert.ok(after.oldestAgeSeconds > 0);
      await open.store.db.query(
        `UPDATE es_subscriptions SET transaction_id = (SELECT max(transaction_id) FROM es_events),
           global_position = (SELECT max(global_position) FROM es_events) WHERE subscription_id = 'behind'`,
      );
      assert.deepEqual(await backlogOf(open.store.db, 'behind'), { events: 0, oldestAgeSeconds: 0 });
    });
  });
}

describe('projection lag gauges (postgresql)', () => {
  let open: OpenStore;
  before(async () => (open = await postgresql.open()));
  after(() => open.close());

  it('report each subscription’s backlog and lag while it is behind, and 0 once caught up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const subscription = new Subscription(open.store, {
      name: 'registry-citizens',
      batchSize: 1,
      pollIntervalMs: 100,
      handle: () => gate,
    });
    for (let n = 0; n < 3; n++)
      await open.store.appendToStream(citizen(40 + n), [{ type: 'A', data: {} }], { metadata });
    await subscription.start();
    const series = async () => {
      const collected = await t.collectMetrics();
      const of = (name: string) =>
        pointsOf(collected, name).find(
          (p) => p.attributes['cancuoc.subscription.name'] === 'registry-citizens',
        )?.value as number;
      return { lag: of(METRICS.projectionLag.name), backlog: of(METRICS.projectionBacklog.name) };
    };
    try {
      const behind = await series();
      assert.equal(behind.backlog, 3);
      assert.ok(behind.lag > 0);
      release();
      await eventually(async () => (await series()).backlog === 0);
      assert.equal((await series()).lag, 0);
    } finally {
      release();
      await subscription.stop();
    }
  });
});
