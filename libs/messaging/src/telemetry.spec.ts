/**
 * Dead letters as operators see them: the counter by reason, the depth of the DLQ before and after
 * a redrive, and the spans of failing attempts and dead-letter sends in the record's trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { METRICS, traceparentOf } from '@cancuoc/observability';
import {
  hasAttributes,
  pointsOf,
  startTestTelemetry,
  type TestTelemetry,
} from '@cancuoc/observability/testing';
import { IdempotentConsumer } from './consumer.js';
import { redriveDeadLetters } from './redrive.js';
import { Relay } from './relay.js';
import { inProcessEnvironment, type MessagingEnvironment } from './test-support/environments.js';
import { citizenMapper, metadata, TYPES, waitFor } from './test-support/fixtures.js';

const TOPIC = 'internal.test.deadletters.v1';
const DLQ = `${TOPIC}.dlq`;
/** Where the undecodable record goes: a topic of its own, so that each DLQ's depth shows apart. */
const OTHER = 'internal.test.garbage.v1';
const GROUP = 'test.deadletters';

class EffectUnavailableError extends Error {
  override readonly name = 'EffectUnavailableError';
}

describe('dead-letter telemetry (in-process transport)', () => {
  let t: TestTelemetry;
  let env: MessagingEnvironment;
  let relay: Relay;
  let consumer: IdempotentConsumer;
  let failing = true;

  before(async () => {
    t = await startTestTelemetry();
    env = await inProcessEnvironment([
      { name: TOPIC, partitions: 2 },
      { name: OTHER, partitions: 1 },
    ]);
    relay = new Relay({
      name: 'test-relay',
      source: '/cancuoc/test',
      store: env.store,
      transport: env.transport,
      pollIntervalMs: 100,
      map: citizenMapper(TOPIC),
    });
    consumer = new IdempotentConsumer({
      subscriber: GROUP,
      transport: env.transport,
      db: env.db,
      topics: [TOPIC, OTHER],
      types: TYPES,
      maxAttempts: 2,
      initialBackoffMs: 10,
      handle: async () => {
        if (failing) throw new EffectUnavailableError('the effect for Trần Văn Bình 001188000001 failed');
      },
    });
    await relay.start();
    await consumer.start();
  });
  after(async () => {
    await consumer?.stop();
    await relay?.stop();
    await env?.close();
    await t?.shutdown();
  });

  const series = async () => {
    const collected = await t.collectMetrics();
    const dead = (topic: string, reason: string) =>
      pointsOf(collected, METRICS.deadLettered.name).find((p) =>
        hasAttributes(p.attributes, {
          'messaging.destination.name': topic,
          'messaging.consumer.group.name': GROUP,
          'cancuoc.dead_letter.reason': reason,
        }),
      )?.value as number | undefined;
    const depth = (dlq: string) =>
      pointsOf(collected, METRICS.deadLetterDepth.name).find((p) =>
        hasAttributes(p.attributes, {
          'messaging.destination.name': dlq,
          'messaging.consumer.group.name': GROUP,
        }),
      )?.value as number | undefined;
    return {
      collected,
      handler: dead(TOPIC, 'handler'),
      undecodable: dead(OTHER, 'undecodable'),
      depth: depth(DLQ),
      otherDepth: depth(`${OTHER}.dlq`),
    };
  };

  it('counts dead letters by reason and reports the DLQ depth', async () => {
    await env.store.appendToStream(
      'citizen-0190f3a2-7d1c-7c3e-9a4b-000000000001',
      [{ type: 'Registered', data: { familyName: 'Trần' } }],
      {
        metadata,
      },
    );
    await env.transport.publish([{ topic: OTHER, key: 'k', value: new Uint8Array([1, 2, 3]), headers: {} }]);
    await waitFor('two dead letters', () => consumer.stats.deadLettered === 2);
    const { collected, handler, undecodable, depth, otherDepth } = await series();
    assert.equal(handler, 1);
    assert.equal(undecodable, 1);
    assert.equal(depth, 1);
    assert.equal(otherDepth, 1);
    const failed = pointsOf(collected, METRICS.consumerProcessDuration.name).find(
      (p) => p.attributes['error.type'] === 'EffectUnavailableError',
    );
    assert.equal((failed?.value as { count: number }).count, 2, 'both attempts measured as failed');
  });

  it('puts the failing attempts and the dead-letter send in the record’s trace, without its data', () => {
    const [append] = t.spansNamed('EventStore.appendToStream');
    const attempts = t.spansNamed(`process ${TOPIC}`);
    assert.equal(attempts.length, 2);
    for (const attempt of attempts) {
      assert.equal(attempt.parentSpanContext?.spanId, append!.spanContext().spanId);
      assert.equal(attempt.status.code, SpanStatusCode.ERROR);
      assert.equal(attempt.attributes['error.type'], 'EffectUnavailableError');
    }
    const [handlerSend] = t.spansNamed(`send ${DLQ}`);
    assert.equal(handlerSend?.kind, SpanKind.PRODUCER);
    assert.equal(handlerSend.attributes['cancuoc.dead_letter.reason'], 'handler');
    assert.equal(traceparentOf(handlerSend.parentSpanContext)?.split('-')[2], append!.spanContext().spanId);
    const [undecodableSend] = t.spansNamed(`send ${OTHER}.dlq`);
    assert.equal(undecodableSend?.attributes['cancuoc.dead_letter.reason'], 'undecodable');
    assert.deepEqual(t.privacyViolations, []);
  });

  it('shows a DLQ drained once its records are redriven, and the other one still waiting', async () => {
    failing = false;
    await redriveDeadLetters({
      transport: env.transport,
      topic: TOPIC,
      subscriber: GROUP,
      timeoutMs: 30_000,
    });
    await waitFor('the redriven event processed', () => consumer.stats.processed === 1);
    const { depth, otherDepth } = await series();
    assert.equal(depth, 0);
    assert.equal(otherDepth, 1);
  });
});
