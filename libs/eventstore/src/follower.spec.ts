import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Follower, type FollowStep } from './follower.js';
import { backends, postgresql, type OpenStore } from './test-support/backends.js';

async function eventually(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

/** A follower over a counter of "events": each step reads what was added since the last one. */
function counting(open: OpenStore, channel: string, pollIntervalMs: number) {
  const state = { pending: 0, steps: 0, read: 0, relistens: 0, due: undefined as number | undefined };
  const follower = new Follower({
    db: open.db,
    channel,
    pollIntervalMs,
    initialBackoffMs: 10,
    maxBackoffMs: 100,
    onRelisten: () => (state.relistens += 1),
    step: async (): Promise<FollowStep> => {
      state.steps += 1;
      const read = state.pending;
      state.pending = 0;
      state.read += read;
      if (read === 0 && state.due !== undefined) return { dueInMs: state.due };
      return read === 0 ? 'idle' : { read, full: false };
    },
  });
  return { state, follower };
}

for (const backend of backends) {
  describe(`a follower on ${backend.name}`, () => {
    let open: OpenStore;
    before(async () => (open = await backend.open()));
    after(() => open.close());

    it('sleeps through its safety poll while idle, and wakes at once on NOTIFY', async () => {
      const { state, follower } = counting(open, 'follower_idle', 60_000);
      await follower.start();
      try {
        await eventually(() => state.steps === 1, 5_000);
        await sleep(500);
        assert.equal(state.steps, 1, 'an idle follower stepped without a NOTIFY');
        state.pending = 3;
        open.db.notify('follower_idle');
        const ms = await eventually(() => state.read === 3, 5_000);
        assert.ok(ms < 2_000, `woken ${ms} ms after the NOTIFY`);
      } finally {
        await follower.stop();
      }
    });

    it('wakes when work is due, however long its safety poll', async () => {
      const { state, follower } = counting(open, 'follower_due', 60_000);
      state.due = 300;
      await follower.start();
      try {
        await eventually(() => state.steps === 1, 5_000);
        const ms = await eventually(() => state.steps === 2, 5_000);
        assert.ok(ms >= 200, `stepped again after ${ms} ms, before the work was due`);
      } finally {
        await follower.stop();
      }
    });
  });
}

describe('a follower whose listen connection drops (postgresql)', () => {
  let open: OpenStore;
  before(async () => (open = await postgresql.open()));
  after(() => open.close());

  it('finds the work on its safety poll, listens again, and NOTIFY wakes it once more', async () => {
    const { state, follower } = counting(open, 'follower_lost', 1_000);
    await follower.start();
    try {
      await eventually(() => state.steps === 1, 5_000);
      const [killed] = await open.db.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN follower_lost'`,
      );
      assert.equal(killed?.n, '1');
      // Announced, but nobody listens: only the safety poll finds it.
      state.pending = 2;
      open.db.notify('follower_lost');
      await eventually(() => state.read === 2, 5_000);
      await eventually(() => state.relistens === 1, 5_000);
      // Listening again: a NOTIFY wakes it well before the next poll.
      await sleep(100);
      const steps = state.steps;
      state.pending = 1;
      open.db.notify('follower_lost');
      const ms = await eventually(() => state.read === 3, 5_000);
      assert.ok(ms < 900, `woken ${ms} ms after the NOTIFY: still not listening`);
      assert.equal(state.steps, steps + 1);
    } finally {
      await follower.stop();
    }
  });
});
