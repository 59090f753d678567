import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CitizenRecordChangedSchema, type CitizenRecordChanged } from '@cancuoc/proto';
import { fromKafkaRecord, toKafkaRecord } from '../cloudevents.js';
import { IdempotentConsumer } from '../consumer.js';
import { DLQ_HEADERS } from '../dead-letters.js';
import { redriveDeadLetters } from '../redrive.js';
import { Relay } from '../relay.js';
import { sequenceOf, type IncomingRecord, type OutgoingRecord, type Transport } from '../transport.js';
import type { MessagingEnvironment, TestTopic } from './environments.js';
import {
  TYPES,
  appendChanges,
  citizenMapper,
  createEffects,
  effects,
  readAll,
  recordEffect,
  waitFor,
} from './fixtures.js';

const topic = (name: string): TestTopic => ({ name: `internal.contract.${name}.v1`, partitions: 3 });
export const CONTRACT_TOPICS = {
  order: topic('order'),
  sequence: topic('sequence'),
  groups: topic('groups'),
  resume: topic('resume'),
  redeliver: topic('redeliver'),
  relay: topic('relay'),
  relayFailure: topic('relay-failure'),
  duplicates: topic('duplicates'),
  poison: topic('poison'),
  backlog: topic('backlog'),
  refailing: topic('refailing'),
} as const;

const plain = (t: TestTopic, key: string, n: number, value: Uint8Array | null = Uint8Array.of(n % 256)) =>
  ({ topic: t.name, key, value, headers: { n: String(n), 'x-kind': 'plain' } }) satisfies OutgoingRecord;

function citizenEvent(t: TestTopic, id: string, subject: string, familyName: string): OutgoingRecord {
  return toKafkaRecord({
    topic: t.name,
    schema: CitizenRecordChangedSchema,
    data: create(CitizenRecordChangedSchema, { citizenId: subject, citizen: { familyName } }),
    id,
    source: '/cancuoc/test',
    time: new Date(),
    subject,
    traceparent: undefined,
    correlationId: undefined,
    causationId: undefined,
    sequence: undefined,
  });
}

/** Asserts that each key's records arrived in the order they were published (by header `n`). */
function assertOrderPerKey(records: readonly IncomingRecord[]): void {
  const last = new Map<string, number>();
  for (const r of records) {
    const n = Number(r.headers.n);
    assert.ok((last.get(r.key) ?? -1) < n, `key ${r.key}: ${n} after ${last.get(r.key)}`);
    last.set(r.key, n);
  }
}

/**
 * The promises both transports keep (see transport.ts), and the relay and idempotent consumer
 * built on them. Runs once against Kafka (the Kafka-protocol test broker) and once in process.
 */
export function transportContract(
  name: string,
  open: (topics: readonly TestTopic[]) => Promise<MessagingEnvironment>,
) {
  describe(`transport contract: ${name}`, () => {
    let env: MessagingEnvironment;
    before(async () => {
      env = await open(Object.values(CONTRACT_TOPICS));
      await createEffects(env.db);
    });
    after(() => env?.close());

    it('delivers every record with its key, value and headers, in order per key', async () => {
      const t = CONTRACT_TOPICS.order;
      const sent = Array.from({ length: 300 }, (_, n) => plain(t, `k${n % 17}`, n));
      sent.push(plain(t, 'tombstone', 300, null));
      for (let i = 0; i < sent.length; i += 50) await env.transport.publish(sent.slice(i, i + 50));
      const got = await readAll(env.transport, [t.name], (r) => r.length >= sent.length);
      assert.equal(got.length, sent.length);
      assertOrderPerKey(got);
      const byN = new Map(got.map((r) => [Number(r.headers.n), r]));
      for (const s of sent) {
        const r = byN.get(Number(s.headers.n));
        assert.ok(r, `record ${s.headers.n} missing`);
        assert.equal(r.key, s.key);
        assert.deepEqual(r.value === null ? null : [...r.value], s.value === null ? null : [...s.value]);
        assert.equal(r.headers['x-kind'], 'plain');
      }
      const end = await env.transport.endOffsets(t.name);
      assert.equal(
        [...end.values()].reduce((a, b) => a + b, 0n),
        BigInt(sent.length),
      );
    });

    it('a publish sequence sends batches handed over before the one ahead was acknowledged, in call order', async () => {
      const t = CONTRACT_TOPICS.sequence;
      const sent = Array.from({ length: 200 }, (_, n) => plain(t, `k${n % 3}`, n));
      const sequence = sequenceOf(env.transport);
      const acked: number[] = [];
      const batches = Array.from({ length: 10 }, (_, b) =>
        sequence.publish(sent.slice(b * 20, b * 20 + 20)).then(() => void acked.push(b)),
      );
      await Promise.all(batches);
      assert.deepEqual(acked, [...Array(10).keys()], 'acknowledged in call order');
      const got = await readAll(env.transport, [t.name], (r) => r.length >= sent.length);
      assert.equal(got.length, sent.length);
      assertOrderPerKey(got);
    });

    it('gives every group every record', async () => {
      const t = CONTRACT_TOPICS.groups;
      await env.transport.publish(Array.from({ length: 40 }, (_, n) => plain(t, `k${n % 5}`, n)));
      const [a, b] = await Promise.all([
        readAll(env.transport, [t.name], (r) => r.length >= 40, 'group-a'),
        readAll(env.newTransport(), [t.name], (r) => r.length >= 40, 'group-b'),
      ]);
      assert.equal(new Set(a.map((r) => r.headers.n)).size, 40);
      assert.equal(new Set(b.map((r) => r.headers.n)).size, 40);
    });

    it('resumes a group after its last committed record', async () => {
      const t = CONTRACT_TOPICS.resume;
      await env.transport.publish(Array.from({ length: 30 }, (_, n) => plain(t, `k${n % 3}`, n)));
      const first = await readAll(env.transport, [t.name], (r) => r.length >= 30, 'resumer');
      assert.equal(first.length, 30);
      const committed = await env.transport.committedOffsets('resumer', t.name);
      assert.equal(
        [...committed.values()].reduce((a, b) => a + b, 0n),
        30n,
      );
      await env.transport.publish(Array.from({ length: 20 }, (_, n) => plain(t, `k${n % 3}`, 30 + n)));
      const second = await readAll(env.newTransport(), [t.name], (r) => r.length >= 20, 'resumer');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        second.map((r) => Number(r.headers.n)).sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, n) => 30 + n),
      );
    });

    it('delivers a record again when its handler failed, and keeps the partition in order', async () => {
      const t = CONTRACT_TOPICS.redeliver;
      await env.transport.publish(Array.from({ length: 20 }, (_, n) => plain(t, 'one-key', n)));
      const seen: number[] = [];
      let failed = false;
      const subscription = await env.transport.subscribe({
        group: 'redeliver',
        topics: [t.name],
        handle: async (record) => {
          const n = Number(record.headers.n);
          if (n === 7 && !failed) {
            failed = true;
            throw new Error('effect failed once');
          }
          seen.push(n);
        },
      });
      try {
        await waitFor('all 20 after the failure', () => new Set(seen).size === 20);
      } finally {
        await subscription.stop();
      }
      assert.ok(failed);
      // Records before the failure may come again (at-least-once); after it, order resumes at 7.
      const firstSeven = seen.indexOf(7);
      assert.deepEqual(
        seen.slice(firstSeven),
        Array.from({ length: 13 }, (_, n) => 7 + n),
      );
    });

    it('relays every committed event as a CloudEvent, and each takes effect once', async () => {
      const t = CONTRACT_TOPICS.relay;
      const ids = await appendChanges(env.store, 400, 13);
      await env.store.appendToStream('citizen-0', [{ type: 'InternalNote', data: {} }], {
        metadata: { actor: 'test:clerk' },
      });
      const relay = new Relay({
        name: `relay-${name}`,
        source: '/cancuoc/test',
        store: env.store,
        transport: env.transport,
        map: citizenMapper(t.name),
        batchSize: 64,
      });
      const consumer = new IdempotentConsumer({
        subscriber: 'relay-effects',
        transport: env.newTransport(),
        db: env.db,
        topics: [t.name],
        types: TYPES,
        handle: recordEffect('relay-effects'),
      });
      await relay.start();
      await consumer.start();
      try {
        const more = await appendChanges(env.store, 100, 13);
        ids.push(...more);
        await waitFor(
          'every effect',
          async () => (await effects(env.db, 'relay-effects')).length >= ids.length,
        );
      } finally {
        await consumer.stop();
        await relay.stop();
      }
      const done = await effects(env.db, 'relay-effects');
      assert.deepEqual(done.map((e) => e.event_id).sort(), [...ids].sort());
      assert.ok(done.every((e) => e.times === 1));
      const records = await readAll(env.transport, [t.name], (r) => r.length >= ids.length);
      const r = records[0]!;
      assert.equal(r.headers.ce_specversion, '1.0');
      assert.equal(r.headers.ce_source, '/cancuoc/test');
      assert.equal(r.headers.ce_type, 'cancuoc.events.v1.CitizenRecordChanged');
      assert.equal(r.headers['content-type'], 'application/protobuf');
      assert.equal(r.headers.ce_subject, r.key);
      assert.ok(!Number.isNaN(Date.parse(r.headers.ce_time!)));
      const event = fromKafkaRecord(r, TYPES);
      assert.equal((event.data as CitizenRecordChanged).citizenId, r.key);
      // Per citizen, records are in stream order.
      const last = new Map<string, number>();
      for (const rec of records) {
        const seq = Number(rec.headers.ce_sequence);
        assert.ok((last.get(rec.key) ?? 0) < seq, `${rec.key}: ${seq} after ${last.get(rec.key)}`);
        last.set(rec.key, seq);
      }
    });

    it('relay: a batch the transport failed is sent again from the checkpoint, and nothing after it goes first', async () => {
      const t = CONTRACT_TOPICS.relayFailure;
      const ids = await appendChanges(env.store, 300, 7);
      // The third batch handed over fails, and with it what was handed over after it, unsent: a
      // publish sequence's promise (transport.ts).
      let handed = 0;
      const errors: unknown[] = [];
      const failing: Transport = {
        kind: env.transport.kind,
        publish: (records) => env.transport.publish(records),
        sequence: () => {
          const inner = sequenceOf(env.transport);
          let broken: Error | undefined;
          return {
            publish: (records) => {
              handed += 1;
              if (handed === 3) broken = new Error('the brokers refused batch 3');
              return broken ? Promise.reject(broken) : inner.publish(records);
            },
          };
        },
        subscribe: (options) => env.transport.subscribe(options),
        endOffsets: (topicName) => env.transport.endOffsets(topicName),
        committedOffsets: (group, topicName) => env.transport.committedOffsets(group, topicName),
        close: async () => undefined,
      };
      const relay = new Relay({
        name: `relay-failure-${name}`,
        source: '/cancuoc/test',
        store: env.store,
        transport: failing,
        map: citizenMapper(t.name),
        batchSize: 20,
        onError: (error) => errors.push(error),
      });
      await relay.start();
      let records: IncomingRecord[];
      try {
        const wanted = new Set(ids);
        records = await readAll(
          env.transport,
          [t.name],
          (r) => new Set(r.map((x) => x.headers.ce_id).filter((id) => wanted.has(id!))).size >= ids.length,
        );
      } finally {
        await relay.stop();
      }
      assert.match(String(errors[0]), /refused batch 3/);
      // Each record's first arrival, per citizen, in stream order: nothing overtook the failed batch.
      const seen = new Set<string>();
      const last = new Map<string, number>();
      for (const r of records) {
        if (seen.has(r.headers.ce_id!)) continue;
        seen.add(r.headers.ce_id!);
        const sequence = Number(r.headers.ce_sequence);
        assert.ok((last.get(r.key) ?? 0) < sequence, `${r.key}: ${sequence} after ${last.get(r.key)}`);
        last.set(r.key, sequence);
      }
      assert.deepEqual(
        ids.filter((id) => !seen.has(id)),
        [],
      );
    });

    it('absorbs a redelivered event: the effect happens once', async () => {
      const t = CONTRACT_TOPICS.duplicates;
      const event = citizenEvent(t, '0192f000-0000-7000-8000-000000000001', 'citizen-d', 'Tran');
      await env.transport.publish([
        event,
        citizenEvent(t, '0192f000-0000-7000-8000-000000000002', 'citizen-d', 'Le'),
      ]);
      await env.transport.publish([event]);
      const consumer = new IdempotentConsumer({
        subscriber: 'dedupe',
        transport: env.newTransport(),
        db: env.db,
        topics: [t.name],
        types: TYPES,
        handle: recordEffect('dedupe'),
      });
      await consumer.start();
      try {
        await waitFor('three deliveries', () => consumer.stats.processed + consumer.stats.duplicates >= 3);
      } finally {
        await consumer.stop();
      }
      assert.equal(consumer.stats.duplicates, 1);
      const done = await effects(env.db, 'dedupe');
      assert.equal(done.length, 2);
      assert.ok(done.every((e) => e.times === 1));
    });

    it('takes a backlog a batch per transaction: fewer commits than events, each effect once', async () => {
      const t = CONTRACT_TOPICS.backlog;
      const ids = Array.from(
        { length: 120 },
        (_, i) => `0192f000-0000-7000-8000-b${String(i).padStart(11, '0')}`,
      );
      await env.transport.publish(ids.map((id, i) => citizenEvent(t, id, `citizen-b${i % 3}`, `N${i}`)));
      await env.db.query(
        'CREATE TABLE IF NOT EXISTS msg_effect_tx (event_id text PRIMARY KEY, tx text NOT NULL)',
      );
      const handle = recordEffect('backlog');
      const consumer = new IdempotentConsumer({
        subscriber: 'backlog',
        transport: env.newTransport(),
        db: env.db,
        topics: [t.name],
        types: TYPES,
        maxBatchSize: 50,
        handle: async (event, tx, record) => {
          await handle(event, tx, record);
          await tx.query('INSERT INTO msg_effect_tx (event_id, tx) VALUES ($1, pg_current_xact_id()::text)', [
            event.id,
          ]);
        },
      });
      await consumer.start();
      try {
        await waitFor('every effect', async () => (await effects(env.db, 'backlog')).length === ids.length);
      } finally {
        await consumer.stop();
      }
      assert.ok((await effects(env.db, 'backlog')).every((e) => e.times === 1));
      const [row] = await env.db.query<{ n: number }>(
        'SELECT count(DISTINCT tx)::int AS n FROM msg_effect_tx',
      );
      assert.ok(row!.n < ids.length / 5, `${row!.n} transactions for ${ids.length} events`);
      assert.equal(consumer.stats.processed, ids.length);
    });

    it('redrives while the subscriber runs: a dead letter failing again waits for the next redrive', async () => {
      const t = CONTRACT_TOPICS.refailing;
      const garbage: OutgoingRecord = {
        ...citizenEvent(t, 'still-bad', 'citizen-r', 'x'),
        value: Uint8Array.of(0xff, 0xff, 0xff),
      };
      await env.transport.publish([garbage]);
      const consumer = new IdempotentConsumer({
        subscriber: 'refailing',
        transport: env.newTransport(),
        db: env.db,
        topics: [t.name],
        types: TYPES,
        handle: async () => undefined,
      });
      await consumer.start();
      try {
        await waitFor('the first dead letter', () => consumer.stats.deadLettered === 1);
        const first = await redriveDeadLetters({
          transport: env.newTransport(),
          topic: t.name,
          timeoutMs: 30_000,
        });
        assert.deepEqual(first, { redriven: 1, skipped: 0 });
        await waitFor('the redriven record to fail again', () => consumer.stats.deadLettered === 2);
        const second = await redriveDeadLetters({
          transport: env.newTransport(),
          topic: t.name,
          timeoutMs: 30_000,
        });
        assert.deepEqual(
          second,
          { redriven: 1, skipped: 0 },
          'the new dead letter was left for this redrive',
        );
      } finally {
        await consumer.stop();
      }
    });

    it('prunes inbox rows past their retention, and only this subscriber’s', async () => {
      await env.db.query(
        `INSERT INTO msg_inbox (subscriber, event_id, topic, processed_at)
         SELECT s, 'old-' || g, 't', now() - interval '20 days' FROM generate_series(1, 25) g, unnest(ARRAY['prune', 'other']) s
         UNION ALL SELECT 'prune', 'recent-' || g, 't', now() - interval '1 day' FROM generate_series(1, 5) g`,
      );
      const consumer = new IdempotentConsumer({
        subscriber: 'prune',
        transport: env.transport,
        db: env.db,
        topics: [],
        types: TYPES,
        inboxRetentionMs: 14 * 24 * 60 * 60 * 1000,
        handle: async () => undefined,
      });
      assert.equal(await consumer.pruneInbox(), 25);
      const rows = await env.db.query<{ subscriber: string; n: number }>(
        `SELECT subscriber, count(*)::int AS n FROM msg_inbox WHERE subscriber IN ('prune', 'other')
         GROUP BY subscriber ORDER BY subscriber`,
      );
      assert.deepEqual(
        rows.map((r) => [r.subscriber, r.n]),
        [
          ['other', 25],
          ['prune', 5],
        ],
      );
    });

    it('sends a poison record to the DLQ with the error, keeps the partition flowing, and redrives it', async () => {
      const t = CONTRACT_TOPICS.poison;
      const key = 'citizen-p';
      const garbage: OutgoingRecord = {
        ...citizenEvent(t, 'bad-bytes', key, 'x'),
        value: Uint8Array.of(0xff, 0xff, 0xff),
      };
      await env.transport.publish([
        citizenEvent(t, 'e1', key, 'Nguyen'),
        garbage,
        citizenEvent(t, 'e2', key, 'FAIL'),
        citizenEvent(t, 'e3', key, 'Pham'),
      ]);
      let fixed = false;
      const handle = recordEffect('poison-effects');
      const consumerFor = () =>
        new IdempotentConsumer({
          subscriber: 'poison-effects',
          transport: env.newTransport(),
          db: env.db,
          topics: [t.name],
          types: TYPES,
          maxAttempts: 3,
          initialBackoffMs: 10,
          handle: async (event, tx, record) => {
            if ((event.data as CitizenRecordChanged).citizen?.familyName === 'FAIL' && !fixed) {
              throw new Error('the handler cannot take this one yet');
            }
            await handle(event, tx, record);
          },
        });
      const consumer = consumerFor();
      await consumer.start();
      try {
        await waitFor('two effects and two dead letters', async () => {
          const done = await effects(env.db, 'poison-effects');
          return done.length === 2 && consumer.stats.deadLettered === 2;
        });
      } finally {
        await consumer.stop();
      }
      assert.deepEqual(
        (await effects(env.db, 'poison-effects')).map((e) => e.event_id),
        ['e1', 'e3'],
      );
      const dead = await readAll(env.transport, [`${t.name}.dlq`], (r) => r.length >= 2);
      const byId = new Map(dead.map((r) => [r.headers.ce_id, r]));
      assert.equal(byId.get('bad-bytes')?.headers[DLQ_HEADERS.errorType], 'PoisonRecordError');
      assert.equal(byId.get('bad-bytes')?.headers[DLQ_HEADERS.attempts], '1');
      assert.equal(byId.get('e2')?.headers[DLQ_HEADERS.error], 'the handler cannot take this one yet');
      assert.equal(byId.get('e2')?.headers[DLQ_HEADERS.attempts], '3');
      assert.equal(byId.get('e2')?.headers[DLQ_HEADERS.topic], t.name);
      assert.equal(byId.get('e2')?.headers[DLQ_HEADERS.subscriber], 'poison-effects');

      fixed = true;
      const result = await redriveDeadLetters({
        transport: env.newTransport(),
        topic: t.name,
        subscriber: 'poison-effects',
      });
      assert.deepEqual(result, { redriven: 2, skipped: 0 });
      const again = consumerFor();
      await again.start();
      try {
        await waitFor(
          'the redriven event to take effect',
          async () => (await effects(env.db, 'poison-effects')).length === 3,
        );
        await waitFor('the garbage to be dead-lettered again', () => again.stats.deadLettered === 1);
      } finally {
        await again.stop();
      }
      const done = await effects(env.db, 'poison-effects');
      assert.deepEqual(
        done.map((e) => e.event_id),
        ['e1', 'e2', 'e3'],
      );
      assert.ok(done.every((e) => e.times === 1));
    });
  });
}
