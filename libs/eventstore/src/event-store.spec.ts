import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { InvalidEventStoreRequestError, WrongExpectedVersionError } from './errors.js';
import { backends, type OpenStore } from './test-support/backends.js';
import { Upcasters } from './upcasting.js';

const metadata = { actor: 'test:clerk-1' };
const stream = () => `citizen-${randomUUID()}`;
const ev = (type: string, data: unknown = {}) => ({ type, data });

for (const backend of backends) {
  describe(`event store on ${backend.name}`, () => {
    let open: OpenStore;
    before(async () => {
      const upcasters = new Upcasters()
        .register('NameChanged', 1, (d) => ({ ...(d as object), fullName: (d as { name: string }).name }))
        .register('NameChanged', 2, (d) => {
          const { name: _dropped, ...rest } = d as { name: string };
          return rest;
        });
      open = await backend.open({ upcasters });
    });
    after(() => open.close());

    it('appends events and reads them back with their metadata, in stream order', async () => {
      const id = stream();
      const correlationId = randomUUID();
      const causationId = randomUUID();
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const result = await open.store.appendToStream(id, [ev('Born', { day: 1 }), ev('Named', { n: 'A' })], {
        expectedVersion: 'no_stream',
        metadata: { actor: 'test:clerk-1', correlationId, causationId, traceparent },
      });
      assert.equal(result.nextExpectedVersion, 2);
      assert.deepEqual(
        result.events.map((e) => e.streamVersion),
        [1, 2],
      );
      assert.ok(result.events[0]!.globalPosition < result.events[1]!.globalPosition);

      const { events, streamVersion } = await open.store.readStream(id);
      assert.equal(streamVersion, 2);
      assert.deepEqual(
        events.map((e) => [e.type, e.data, e.streamVersion, e.schemaVersion]),
        [
          ['Born', { day: 1 }, 1, 1],
          ['Named', { n: 'A' }, 2, 1],
        ],
      );
      for (const e of events) {
        assert.match(e.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.deepEqual(e.metadata, { actor: 'test:clerk-1', correlationId, causationId, traceparent });
        assert.ok(e.recordedAt instanceof Date && Math.abs(e.recordedAt.getTime() - Date.now()) < 60_000);
        assert.ok(e.transactionId > 0n);
      }
      assert.deepEqual(
        (await open.store.readStream(id, { fromVersion: 2 })).events.map((e) => e.type),
        ['Named'],
      );
    });

    it('fills in a correlation id and leaves causation and traceparent empty when not given', async () => {
      const id = stream();
      await open.store.appendToStream(id, [ev('Born')], { metadata });
      const [e] = (await open.store.readStream(id)).events;
      assert.match(e!.metadata.correlationId, /^[0-9a-f-]{36}$/);
      assert.equal(e!.metadata.causationId, null);
      assert.equal(e!.metadata.traceparent, null);
    });

    it('reports an empty stream as version 0 with no events', async () => {
      assert.deepEqual(await open.store.readStream(stream()), { events: [], streamVersion: 0 });
    });

    it('refuses an append whose expected version is stale with a typed error naming the actual version', async () => {
      const id = stream();
      await open.store.appendToStream(id, [ev('A'), ev('B')], { expectedVersion: 'no_stream', metadata });
      await assert.rejects(
        open.store.appendToStream(id, [ev('C')], { expectedVersion: 1, metadata }),
        (e: unknown) => e instanceof WrongExpectedVersionError && e.actual === 2 && e.expected === 1,
      );
      await assert.rejects(
        open.store.appendToStream(id, [ev('C')], { expectedVersion: 'no_stream', metadata }),
        (e: unknown) => e instanceof WrongExpectedVersionError && e.actual === 2,
      );
      await assert.rejects(
        open.store.appendToStream(stream(), [ev('C')], { expectedVersion: 'stream_exists', metadata }),
        (e: unknown) => e instanceof WrongExpectedVersionError && e.actual === 0,
      );
      await assert.rejects(
        open.store.appendToStream(stream(), [ev('C')], { expectedVersion: 3, metadata }),
        WrongExpectedVersionError,
      );
      const ok = await open.store.appendToStream(id, [ev('C')], { expectedVersion: 2, metadata });
      assert.equal(ok.nextExpectedVersion, 3);
      const any = await open.store.appendToStream(id, [ev('D')], { expectedVersion: 'any', metadata });
      assert.equal(any.nextExpectedVersion, 4);
      const exists = await open.store.appendToStream(id, [ev('E')], {
        expectedVersion: 'stream_exists',
        metadata,
      });
      assert.equal(exists.nextExpectedVersion, 5);
      assert.deepEqual(
        (await open.store.readStream(id)).events.map((e) => e.type),
        ['A', 'B', 'C', 'D', 'E'],
      );
    });

    it('lets exactly one of many concurrent writers win each version of a stream', async () => {
      const id = stream();
      await open.store.appendToStream(id, [ev('Start')], { expectedVersion: 'no_stream', metadata });
      const writers = 12;
      const outcomes = await Promise.allSettled(
        Array.from({ length: writers }, (_, i) =>
          open.store.appendToStream(id, [ev('Write', { i })], { expectedVersion: 1, metadata }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o) => o.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, writers - 1);
      for (const o of lost)
        assert.ok((o as PromiseRejectedResult).reason instanceof WrongExpectedVersionError);
      assert.equal((await open.store.readStream(id)).streamVersion, 2);
    });

    it('gives every concurrent writer that retries on conflict its own version, with no gap or duplicate', async () => {
      const id = stream();
      const writers = 8;
      const appendsEach = 5;
      let conflicts = 0;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let n = 0; n < appendsEach;) {
            const { streamVersion } = await open.store.readStream(id);
            try {
              await open.store.appendToStream(id, [ev('Write', { w, n })], {
                expectedVersion: streamVersion,
                metadata,
              });
              n++;
            } catch (e) {
              if (!(e instanceof WrongExpectedVersionError)) throw e;
              conflicts++;
            }
          }
        }),
      );
      const { events } = await open.store.readStream(id);
      assert.deepEqual(
        events.map((e) => e.streamVersion),
        Array.from({ length: writers * appendsEach }, (_, i) => i + 1),
      );
      const perWriter = new Map<number, number>();
      for (const e of events) {
        const { w } = e.data as { w: number };
        perWriter.set(w, (perWriter.get(w) ?? 0) + 1);
      }
      assert.deepEqual([...perWriter.values()], Array(writers).fill(appendsEach));
      assert.ok(conflicts > 0, 'the writers never raced, so the test proved nothing');
    });

    it('appends to several streams in one transaction: all or none', async () => {
      const a = stream();
      const b = stream();
      await open.store.appendToStream(b, [ev('Existing')], { expectedVersion: 'no_stream', metadata });
      await assert.rejects(
        open.store.appendToStreams(
          [
            { streamId: a, events: [ev('One')], expectedVersion: 'no_stream' },
            { streamId: b, events: [ev('Two')], expectedVersion: 'no_stream' },
          ],
          { metadata },
        ),
        WrongExpectedVersionError,
      );
      assert.equal((await open.store.readStream(a)).streamVersion, 0, 'the first append was rolled back');
      const results = await open.store.appendToStreams(
        [
          { streamId: a, events: [ev('One')], expectedVersion: 'no_stream' },
          { streamId: b, events: [ev('Two')], expectedVersion: 1 },
        ],
        { metadata },
      );
      assert.deepEqual(
        results.map((r) => r.nextExpectedVersion),
        [1, 2],
      );
    });

    it('creates many streams in one call, in the order given, each at its own versions', async () => {
      const ids = Array.from({ length: 300 }, stream);
      const results = await open.store.appendToStreams(
        ids.map((streamId, i) => ({
          streamId,
          events: i % 2 ? [ev('Born', { i })] : [ev('Born', { i }), ev('Moved', { i })],
          expectedVersion: 'no_stream' as const,
        })),
        { metadata },
      );
      assert.deepEqual(
        results.map((r) => [r.streamId, r.nextExpectedVersion]),
        ids.map((id, i) => [id, i % 2 ? 1 : 2]),
      );
      const positions = results.flatMap((r) => r.events.map((e) => e.globalPosition));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => (a < b ? -1 : 1)),
      );
      const second = await open.store.readStream(ids[4]!);
      assert.deepEqual(
        second.events.map((e) => [e.type, e.data, e.streamVersion, e.metadata.actor]),
        [
          ['Born', { i: 4 }, 1, metadata.actor],
          ['Moved', { i: 4 }, 2, metadata.actor],
        ],
      );
      const duplicated = stream();
      await assert.rejects(
        open.store.appendToStreams(
          [
            { streamId: duplicated, events: [ev('One')], expectedVersion: 'no_stream' },
            { streamId: duplicated, events: [ev('Two')], expectedVersion: 'no_stream' },
          ],
          { metadata },
        ),
        WrongExpectedVersionError,
      );
      assert.equal((await open.store.readStream(duplicated)).streamVersion, 0);
    });

    it('appends inside a caller transaction that rolls back leave nothing behind', async () => {
      const id = stream();
      await assert.rejects(
        open.store.transaction(async (tx) => {
          await open.store.appendToStream(id, [ev('Ghost')], { metadata, tx });
          throw new Error('abandon');
        }),
        /abandon/,
      );
      assert.equal((await open.store.readStream(id)).streamVersion, 0);
    });

    it('rejects bad requests with a clear error and records nothing', async () => {
      const id = stream();
      await assert.rejects(open.store.appendToStream(id, [], { metadata }), InvalidEventStoreRequestError);
      await assert.rejects(
        open.store.appendToStream(id, [ev('X')], { metadata: { actor: '' } }),
        InvalidEventStoreRequestError,
      );
      await assert.rejects(
        open.store.appendToStream(id, [ev('X')], { metadata: { actor: 'a', correlationId: 'nope' } }),
        /correlationId must be a UUID/,
      );
      await assert.rejects(
        open.store.appendToStream(id, [ev('X')], { metadata, expectedVersion: -1 }),
        InvalidEventStoreRequestError,
      );
      const fixed = randomUUID();
      await open.store.appendToStream(id, [{ ...ev('X'), eventId: fixed }], { metadata });
      await assert.rejects(
        open.store.appendToStream(stream(), [{ ...ev('Y'), eventId: fixed }], { metadata }),
        /already recorded/,
      );
      assert.equal((await open.store.readStream(id)).streamVersion, 1);
    });

    it('upcasts events written with an older schema version when they are read', async () => {
      const id = stream();
      await open.store.appendToStream(
        id,
        [{ type: 'NameChanged', data: { name: 'Lan' }, schemaVersion: 1 }],
        {
          metadata,
        },
      );
      await open.store.appendToStream(
        id,
        [{ type: 'NameChanged', data: { fullName: 'Mai' }, schemaVersion: 3 }],
        {
          metadata,
        },
      );
      const { events } = await open.store.readStream(id);
      assert.deepEqual(
        events.map((e) => [e.schemaVersion, e.data]),
        [
          [3, { fullName: 'Lan' }],
          [3, { fullName: 'Mai' }],
        ],
      );
      const [stored] = await open.db.query<{ data: unknown; schema_version: number }>(
        'SELECT data, schema_version FROM es_events WHERE stream_id = $1 ORDER BY stream_version LIMIT 1',
        [id],
      );
      assert.deepEqual(stored, { data: { name: 'Lan' }, schema_version: 1 }, 'history is not rewritten');
    });
  });
}
