import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Tx } from './database.js';
import { Subscription } from './subscription.js';
import { backends, type OpenStore } from './test-support/backends.js';
import { drain } from './test-support/drain.js';
import type { RecordedEvent } from './types.js';

const metadata = { actor: 'test:writer' };

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A projection in the same database: one row per event with a counter, so a second effect of the
 * same event shows up as times = 2.
 */
async function createEffectsTable(open: OpenStore, table: string): Promise<void> {
  await open.db.query(`CREATE TABLE ${table} (event_id uuid PRIMARY KEY, times int NOT NULL, by text)`);
}

function recordEffects(table: string, by = 'main', delayMs = 0) {
  return async (events: readonly RecordedEvent[], tx: Tx) => {
    for (const e of events) {
      await tx.query(
        `INSERT INTO ${table} (event_id, times, by) VALUES ($1, 1, $2)
         ON CONFLICT (event_id) DO UPDATE SET times = ${table}.times + 1`,
        [e.eventId, by],
      );
    }
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  };
}

async function effects(open: OpenStore, table: string) {
  return open.db.query<{ event_id: string; times: number; by: string }>(
    `SELECT event_id, times, by FROM ${table}`,
  );
}

async function appendMany(open: OpenStore, prefix: string, count: number, type = 'E'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ type, data: { n: i + j } }));
    await open.store.appendToStream(`${prefix}-${i % 30}`, batch, { metadata });
  }
  const rows = await open.db.query<{ event_id: string }>(
    'SELECT event_id FROM es_events WHERE stream_id LIKE $1',
    [`${prefix}-%`],
  );
  ids.push(...rows.map((r) => r.event_id));
  return ids;
}

for (const backend of backends) {
  describe(`subscriptions on ${backend.name}`, () => {
    let open: OpenStore;
    before(async () => (open = await backend.open()));
    after(() => open.close());

    it('catches up on history, then follows new events live, with the checkpoint in the projection transaction', async () => {
      await createEffectsTable(open, 'live_effects');
      const history = await appendMany(open, 'live', 120);
      const sub = new Subscription(open.store, {
        name: 'live-projection',
        batchSize: 25,
        pollIntervalMs: 60_000, // only NOTIFY can wake it in time
        handle: recordEffects('live_effects'),
      });
      await sub.start();
      try {
        await eventually(async () => (await effects(open, 'live_effects')).length >= history.length);
        const started = Date.now();
        await open.store.appendToStream('live-new', [{ type: 'E', data: {} }], { metadata });
        await eventually(async () => (await effects(open, 'live_effects')).length > history.length, 5_000);
        assert.ok(Date.now() - started < 5_000, 'woken by NOTIFY, not by the minute-long poll');
        // An append inside a caller's transaction wakes subscribers once that transaction commits.
        await open.store.transaction(async (tx) => {
          await open.store.appendToStream('live-tx', [{ type: 'E', data: {} }], { metadata, tx });
        });
        await eventually(
          async () => (await effects(open, 'live_effects')).length > history.length + 1,
          5_000,
        );
      } finally {
        await sub.stop();
      }
      const rows = await effects(open, 'live_effects');
      assert.ok(rows.every((r) => r.times === 1));
      const [last] = await open.db.query<{ tx: string; pos: string }>(
        `SELECT transaction_id::text AS tx, global_position::text AS pos FROM es_events
         ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      const checkpoint = await sub.checkpoint();
      assert.deepEqual(checkpoint, { transactionId: BigInt(last!.tx), position: BigInt(last!.pos) });
    });

    it('resumes after a restart where it stopped, with no second effect', async () => {
      await createEffectsTable(open, 'restart_effects');
      const options = { name: 'restart-projection', batchSize: 7, handle: recordEffects('restart_effects') };
      const first = new Subscription(open.store, options);
      await first.start();
      await appendMany(open, 'restart-a', 30);
      await eventually(async () => (await first.checkpoint()).position > 0n);
      await first.stop();
      await appendMany(open, 'restart-b', 30);
      const second = new Subscription(open.store, options);
      await second.start();
      try {
        const total = (await open.db.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events'))[0]!.n;
        await eventually(async () => (await effects(open, 'restart_effects')).length === Number(total));
      } finally {
        await second.stop();
      }
      assert.ok((await effects(open, 'restart_effects')).every((r) => r.times === 1));
    });

    it('lets two instances of one subscription run, never both on the same events at once', async () => {
      await createEffectsTable(open, 'pair_effects');
      let active = 0;
      let overlaps = 0;
      const instance = (by: string) =>
        new Subscription(open.store, {
          name: 'pair-projection',
          batchSize: 10,
          pollIntervalMs: 50,
          handle: async (events, tx) => {
            active++;
            if (active > 1) overlaps++;
            try {
              await recordEffects('pair_effects', by, 5)(events, tx);
            } finally {
              active--;
            }
          },
        });
      const a = instance('a');
      const b = instance('b');
      await Promise.all([a.start(), b.start()]);
      try {
        await appendMany(open, 'pair', 200);
        const total = Number(
          (await open.db.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events'))[0]!.n,
        );
        await eventually(async () => (await effects(open, 'pair_effects')).length === total, 30_000);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      const rows = await effects(open, 'pair_effects');
      assert.equal(overlaps, 0, 'two instances handled batches at the same time');
      assert.ok(
        rows.every((r) => r.times === 1),
        'an event had two effects',
      );
    });

    it('delivers only the event types asked for, while its checkpoint passes the others', async () => {
      const seen: string[] = [];
      const sub = new Subscription(open.store, {
        name: 'typed',
        eventTypes: ['Wanted'],
        handle: async (events) => {
          seen.push(...events.map((e) => e.type));
        },
      });
      await sub.ensureCreated();
      await open.store.appendToStream(
        'typed-1',
        [
          { type: 'Wanted', data: {} },
          { type: 'Other', data: {} },
        ],
        {
          metadata,
        },
      );
      const [last] = await open.db.query<{ pos: string }>(
        `SELECT global_position::text AS pos FROM es_events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      await drain(sub, async () => (await sub.checkpoint()).position === BigInt(last!.pos));
      assert.ok(seen.length > 0 && seen.every((t) => t === 'Wanted'));
    });

    it('rolls back a failing batch, reports it, and retries it without a double effect', async () => {
      await createEffectsTable(open, 'flaky_effects');
      let failuresLeft = 2;
      const errors: unknown[] = [];
      const record = recordEffects('flaky_effects');
      const sub = new Subscription(open.store, {
        name: 'flaky-projection',
        batchSize: 1000,
        maxBackoffMs: 100,
        onError: (e) => errors.push(e),
        handle: async (events, tx) => {
          await record(events, tx);
          if (failuresLeft-- > 0) throw new Error('projection store hiccup');
        },
      });
      const total = Number(
        (await open.db.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events'))[0]!.n,
      );
      await sub.start();
      try {
        await eventually(async () => (await effects(open, 'flaky_effects')).length === total);
      } finally {
        await sub.stop();
      }
      assert.equal(errors.length, 2);
      assert.equal(sub.failure, undefined);
      assert.ok((await effects(open, 'flaky_effects')).every((r) => r.times === 1));
    });
  });
}
