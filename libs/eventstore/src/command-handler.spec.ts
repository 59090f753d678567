import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CommandHandler } from './command-handler.js';
import type { Decider } from './decider.js';
import { ConcurrencyRetriesExhaustedError, WrongExpectedVersionError } from './errors.js';
import { backends, type OpenStore } from './test-support/backends.js';

/** A small decider: a counter that may not go above a limit, and that can be closed. */
type Command = { type: 'Increment'; by: number } | { type: 'Close' };
type Event = { type: 'Incremented'; data: { by: number } } | { type: 'Closed'; data: Record<string, never> };
interface State {
  total: number;
  closed: boolean;
}
class LimitExceeded extends Error {}
class CounterClosed extends Error {}

const LIMIT = 1000;
const counter: Decider<State, Command, Event> = {
  initialState: () => ({ total: 0, closed: false }),
  decide(command, state) {
    if (state.closed) throw new CounterClosed('closed');
    switch (command.type) {
      case 'Increment':
        if (state.total + command.by > LIMIT) throw new LimitExceeded(`${state.total} + ${command.by}`);
        return [{ type: 'Incremented', data: { by: command.by } }];
      case 'Close':
        return [{ type: 'Closed', data: {} }];
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Incremented':
        return { ...state, total: state.total + event.data.by };
      case 'Closed':
        return { ...state, closed: true };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
};

const metadata = { actor: 'test:clerk' };
const inc = (by = 1): Command => ({ type: 'Increment', by });

for (const backend of backends) {
  describe(`command handler on ${backend.name}`, () => {
    let open: OpenStore;
    before(async () => (open = await backend.open()));
    after(() => open.close());

    it('loads the state, decides, and appends what the decider returned', async () => {
      const handler = new CommandHandler(open.store, counter);
      const id = `counter-${randomUUID()}`;
      await handler.handle(id, inc(2), { metadata });
      const result = await handler.handle(id, inc(3), { metadata });
      assert.equal(result.state.total, 5);
      assert.equal(result.streamVersion, 2);
      assert.deepEqual((await handler.load(id)).state, { total: 5, closed: false });
    });

    it('appends nothing when the decider refuses, and passes its error on', async () => {
      const handler = new CommandHandler(open.store, counter);
      const id = `counter-${randomUUID()}`;
      await handler.handle(id, { type: 'Close' }, { metadata });
      await assert.rejects(handler.handle(id, inc(), { metadata }), CounterClosed);
      assert.equal((await open.store.readStream(id)).streamVersion, 1);
    });

    it('retries a lost race so that every concurrent command lands once', async () => {
      const handler = new CommandHandler(open.store, counter, { maxAttempts: 50 });
      const id = `counter-${randomUUID()}`;
      await Promise.all(Array.from({ length: 8 }, () => handler.handle(id, inc(), { metadata })));
      const { state, streamVersion } = await handler.load(id);
      assert.equal(state.total, 8);
      assert.equal(streamVersion, 8);
    });

    it('reports a race it could not win within its attempts as a typed error', async () => {
      const handler = new CommandHandler(open.store, counter, { maxAttempts: 1 });
      const id = `counter-${randomUUID()}`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => handler.handle(id, inc(), { metadata })),
      );
      const lost = outcomes.filter((o) => o.status === 'rejected');
      assert.ok(lost.length > 0, 'concurrent first writes of one stream must conflict');
      for (const o of lost)
        assert.ok((o as PromiseRejectedResult).reason instanceof ConcurrencyRetriesExhaustedError);
      assert.equal((await handler.load(id)).state.total, outcomes.length - lost.length);
    });

    it('does not retry when the caller named the version it saw and the stream moved on', async () => {
      const handler = new CommandHandler(open.store, counter);
      const id = `counter-${randomUUID()}`;
      await handler.handle(id, inc(), { metadata });
      await handler.handle(id, inc(), { metadata, expectedVersion: 1 });
      await assert.rejects(
        handler.handle(id, inc(), { metadata, expectedVersion: 1 }),
        (e: unknown) => e instanceof WrongExpectedVersionError && e.actual === 2,
      );
    });

    it('snapshots every N events and rebuilds state from the snapshot plus the tail', async () => {
      let evolved = 0;
      const counting: Decider<State, Command, Event> = {
        ...counter,
        evolve: (s, e) => {
          evolved++;
          return counter.evolve(s, e);
        },
      };
      const policy = { every: 5, type: 'counter', schemaVersion: 1 };
      const handler = new CommandHandler(open.store, counting, { snapshots: policy });
      const id = `counter-${randomUUID()}`;
      for (let i = 0; i < 12; i++) await handler.handle(id, inc(), { metadata });
      const [snapshot] = await open.db.query<{ stream_version: number; state: State }>(
        'SELECT stream_version, state FROM es_snapshots WHERE stream_id = $1',
        [id],
      );
      assert.deepEqual(snapshot, { stream_version: 10, state: { total: 10, closed: false } });
      evolved = 0;
      const loaded = await handler.load(id);
      assert.deepEqual(loaded, { state: { total: 12, closed: false }, streamVersion: 12 });
      assert.equal(evolved, 2, 'only the two events after the snapshot were replayed');

      const reshaped = new CommandHandler(open.store, counting, {
        snapshots: { ...policy, schemaVersion: 2 },
      });
      evolved = 0;
      assert.equal((await reshaped.load(id)).state.total, 12);
      assert.equal(evolved, 12, 'a snapshot of an older state shape is ignored');
    });
  });
}
