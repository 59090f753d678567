import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqlExecutor, Tx } from './database.js';
import { backends, postgresql, type OpenStore } from './test-support/backends.js';
import { START, checkpointOf, compareCheckpoints, type Checkpoint } from './types.js';

const metadata = { actor: 'test:writer' };

/** A transaction held open until the test lets it go, to commit or roll back out of order. */
function heldTransaction(open: OpenStore) {
  let release!: (outcome: 'commit' | 'rollback') => void;
  let appended!: () => void;
  const decided = new Promise<'commit' | 'rollback'>((resolve) => (release = resolve));
  const ready = new Promise<void>((resolve) => (appended = resolve));
  const done = open.store
    .transaction(async (tx: Tx) => {
      await open.store.appendToStream(`held-${Math.random()}`, [{ type: 'Held', data: {} }], {
        metadata,
        tx,
      });
      appended();
      if ((await decided) === 'rollback') throw new Error('rolled back on purpose');
    })
    .catch((e: Error) => {
      if (e.message !== 'rolled back on purpose') throw e;
    });
  return { ready, done, commit: () => release('commit'), rollback: () => release('rollback') };
}

type Reader = (db: SqlExecutor, after: Checkpoint) => Promise<{ ids: string[]; checkpoint: Checkpoint }>;

/** What the store does: `readAll` in (transaction_id, global_position) order. */
const orderedReader =
  (open: OpenStore): Reader =>
  async (_db, after) => {
    const { events, checkpoint } = await open.store.readAll({ after, limit: 1000 });
    return { ids: events.map((e) => e.eventId), checkpoint };
  };

/**
 * The mistake decision 2 warns about: paging by position alone. It is here to prove the scenario
 * below can tell the difference; the store must never read like this.
 */
const positionOnlyReader: Reader = async (db, after) => {
  const rows = await db.query<{ event_id: string; pos: string }>(
    'SELECT event_id, global_position::text AS pos FROM es_events WHERE global_position > $1 ORDER BY global_position',
    [after.position.toString()],
  );
  const last = rows[rows.length - 1];
  return {
    ids: rows.map((r) => r.event_id),
    checkpoint: last ? { transactionId: 0n, position: BigInt(last.pos) } : after,
  };
};

/**
 * Writers hold transactions open and commit them out of order while a reader pages through the log.
 * Returns what the reader saw and what was committed, so a test can compare them.
 */
async function outOfOrderCommits(open: OpenStore, read: Reader) {
  const seen: string[] = [];
  let checkpoint = START;
  const poll = async () => {
    const page = await read(open.db, checkpoint);
    seen.push(...page.ids);
    checkpoint = page.checkpoint;
  };
  const first = heldTransaction(open); // takes the lower position, commits last
  await first.ready;
  const second = heldTransaction(open);
  await second.ready;
  const doomed = heldTransaction(open); // rolls back: its position becomes a permanent hole
  await doomed.ready;
  second.commit();
  await second.done;
  await poll();
  await open.store.appendToStream('autocommit', [{ type: 'Auto', data: {} }], { metadata });
  await poll();
  doomed.rollback();
  await doomed.done;
  await poll();
  first.commit();
  await first.done;
  const committed = (
    await open.db.query<{ event_id: string }>('SELECT event_id FROM es_events ORDER BY global_position')
  ).map((r) => r.event_id);
  // The read horizon is cluster-wide: other tests' open transactions can hold the late commit back
  // for a while. Keep reading until it shows up; a reader that skipped it never sees it.
  const deadline = Date.now() + 3_000;
  do await poll();
  while (committed.some((id) => !seen.includes(id)) && Date.now() < deadline);
  return { seen, committed };
}

describe('reading all events while transactions commit out of order (PostgreSQL)', () => {
  let open: OpenStore;
  before(async () => (open = await postgresql.open()));
  after(() => open.close());

  it('never skips or repeats an event with the (transaction_id, global_position) reader', async () => {
    const { seen, committed } = await outOfOrderCommits(open, orderedReader(open));
    assert.equal(committed.length, 3);
    assert.equal(new Set(seen).size, seen.length, 'an event was read twice');
    assert.deepEqual([...seen].sort(), [...committed].sort(), 'an event was skipped');
  });

  it('is a scenario in which a position-only reader does skip an event', async () => {
    const fresh = await postgresql.open();
    try {
      const { seen, committed } = await outOfOrderCommits(fresh, positionOnlyReader);
      assert.ok(
        seen.length < committed.length,
        'the position-only reader should have missed the late commit',
      );
    } finally {
      await fresh.close();
    }
  });

  it('reads every committed event exactly once under many concurrent writers', async () => {
    const fresh = await postgresql.open();
    try {
      const writers = 16;
      const transactionsEach = 15;
      let writing = true;
      const seen: string[] = [];
      let outOfOrder = 0;
      let checkpoint = START;
      const readPage = async () => {
        const { events, checkpoint: next } = await fresh.store.readAll({ after: checkpoint, limit: 50 });
        let previous = checkpoint;
        for (const e of events) {
          if (compareCheckpoints(checkpointOf(e), previous) <= 0) outOfOrder++;
          previous = checkpointOf(e);
        }
        seen.push(...events.map((e) => e.eventId));
        checkpoint = next;
        return events.length;
      };
      const reader = (async () => {
        while (writing) await readPage();
      })();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let t = 0; t < transactionsEach; t++) {
            const fail = (w + t) % 5 === 0;
            await fresh.store
              .transaction(async (tx) => {
                await fresh.store.appendToStream(
                  `w${w}`,
                  [
                    { type: 'E', data: { t } },
                    { type: 'E', data: { t } },
                  ],
                  {
                    metadata,
                    tx,
                  },
                );
                // Hold the transaction a little, so commits interleave with later positions.
                await new Promise((r) => setTimeout(r, (w * 7 + t * 3) % 11));
                if (fail) throw new Error('writer gave up');
              })
              .catch((e: Error) => {
                if (e.message !== 'writer gave up') throw e;
              });
          }
        }),
      );
      writing = false;
      await reader;
      // Any transaction on the server, in any database, holds the horizon back; so rather than
      // stopping at the first empty page, read until the last committed event has been reached.
      const [last] = await fresh.db.query<{ tx: string; pos: string }>(
        `SELECT transaction_id::text AS tx, global_position::text AS pos FROM es_events
         ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      const end = { transactionId: BigInt(last!.tx), position: BigInt(last!.pos) };
      const deadline = Date.now() + 30_000;
      while (compareCheckpoints(checkpoint, end) < 0 && Date.now() < deadline) {
        if ((await readPage()) === 0) await new Promise((r) => setTimeout(r, 10));
      }
      const committed = (await fresh.db.query<{ event_id: string }>('SELECT event_id FROM es_events')).map(
        (r) => r.event_id,
      );
      assert.ok(
        committed.length > 0 && committed.length < writers * transactionsEach * 2,
        'some rolled back',
      );
      assert.equal(outOfOrder, 0, 'events came back out of (transaction_id, global_position) order');
      assert.equal(new Set(seen).size, seen.length, 'an event was read twice');
      assert.deepEqual([...seen].sort(), [...committed].sort());
    } finally {
      await fresh.close();
    }
  });
});

for (const backend of backends) {
  describe(`readAll pages on ${backend.name}`, () => {
    let open: OpenStore;
    before(async () => (open = await backend.open()));
    after(() => open.close());

    it('pages through the whole log in order, resuming strictly after each checkpoint', async () => {
      for (let i = 0; i < 25; i++) {
        await open.store.appendToStream(`s${i % 4}`, [{ type: 'E', data: { i } }], { metadata });
      }
      // Transactions elsewhere on the server may hold the horizon back for a moment: wait for it
      // rather than stopping at the first empty page.
      const pages: number[][] = [];
      let checkpoint = START;
      const deadline = Date.now() + 30_000;
      while (pages.flat().length < 25 && Date.now() < deadline) {
        const page = await open.store.readAll({ after: checkpoint, limit: 10 });
        if (page.events.length === 0) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        pages.push(page.events.map((e) => (e.data as { i: number }).i));
        checkpoint = page.checkpoint;
      }
      assert.ok(pages.length >= 3 && pages.every((p) => p.length <= 10));
      assert.deepEqual(
        pages.flat(),
        Array.from({ length: 25 }, (_, i) => i),
      );
      const rest = await open.store.readAll({ after: checkpoint, limit: 10 });
      assert.deepEqual(rest.events, []);
      assert.deepEqual(rest.checkpoint, checkpoint);
    });
  });
}
