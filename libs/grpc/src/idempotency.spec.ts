import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectTestRedis, type TestRedis } from '@cancuoc/testing';
import { status } from '@grpc/grpc-js';
import { readErrorDetails, rpcError } from './errors.js';
import {
  IDEMPOTENCY_KEY_IN_USE,
  InMemoryIdempotencyStore,
  withIdempotency,
  type IdempotencyStore,
} from './idempotency.js';
import { RedisIdempotencyStore } from './redis-idempotency-store.js';
import { startEcho, type EchoFixture } from './test-support/echo.js';

interface Backend {
  readonly name: string;
  open(): Promise<{ store: IdempotencyStore; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'in-memory',
    open: () => Promise.resolve({ store: new InMemoryIdempotencyStore(), close: () => Promise.resolve() }),
  },
  {
    name: 'Redis',
    async open() {
      const redis: TestRedis = await connectTestRedis();
      return { store: new RedisIdempotencyStore(redis.client), close: () => redis.close() };
    },
  },
];

for (const backend of backends) {
  describe(`idempotency store contract (${backend.name})`, () => {
    let store: IdempotencyStore;
    let close: () => Promise<void>;
    before(async () => ({ store, close } = await backend.open()));
    after(() => close());

    it('stores and returns bytes until they expire', async () => {
      const key = randomUUID();
      assert.equal(await store.get(key), undefined);
      await store.put(key, new Uint8Array([0, 1, 2, 255]), 150);
      assert.deepEqual([...((await store.get(key)) ?? [])], [0, 1, 2, 255]);
      await sleep(300);
      assert.equal(await store.get(key), undefined);
    });

    it('grants a claim to one caller at a time, and only its holder releases it', async () => {
      const key = randomUUID();
      const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim(key, 10_000)));
      const granted = claims.filter((t) => t !== undefined);
      assert.equal(granted.length, 1);
      await store.release(key, 'someone-else');
      assert.equal(await store.claim(key, 10_000), undefined, 'a foreign token does not release the claim');
      await store.release(key, granted[0]!);
      assert.ok((await store.claim(key, 10_000)) !== undefined, 'released: the key can be claimed again');
    });

    it('lets a claim lapse after its TTL', async () => {
      const key = randomUUID();
      assert.ok((await store.claim(key, 100)) !== undefined);
      await sleep(250);
      assert.ok((await store.claim(key, 100)) !== undefined);
    });
  });

  describe(`withIdempotency over gRPC (${backend.name})`, () => {
    let fixture: EchoFixture;
    let close: () => Promise<void>;
    const executions = { register: 0, echo: 0 };
    let failNext = false;

    before(async () => {
      const opened = await backend.open();
      close = opened.close;
      fixture = await startEcho({
        register: withIdempotency(opened.store, async (request) => {
          executions.register += 1;
          const execution = executions.register;
          if (failNext) {
            failNext = false;
            throw rpcError(status.UNAVAILABLE, 'the register is briefly unavailable');
          }
          if (request.delayMs > 0) await sleep(request.delayMs);
          return { id: `${request.name}-${execution}`, execution };
        }),
        echo: withIdempotency(
          opened.store,
          async (request) => {
            executions.echo += 1;
            await sleep(request.delayMs);
            return { text: request.text };
          },
          { required: true, waitMs: 100 },
        ),
      });
    });
    after(async () => {
      await fixture.close();
      await close();
    });

    it('a retry with the same key gets the stored response and the handler runs once', async () => {
      const before = executions.register;
      const key = randomUUID();
      const first = await fixture.client.register({ name: 'lan' }, { idempotencyKey: key });
      const retry = await fixture.client.register({ name: 'lan' }, { idempotencyKey: key });
      assert.equal(executions.register, before + 1);
      assert.deepEqual(retry, first);
      assert.equal(retry.id, `lan-${before + 1}`);

      const other = await fixture.client.register({ name: 'lan' }, { idempotencyKey: randomUUID() });
      assert.equal(executions.register, before + 2, 'another key is another operation');
      assert.notEqual(other.id, first.id);
    });

    it('two concurrent calls with one key run the handler once and get the same response', async () => {
      const before = executions.register;
      const key = randomUUID();
      const calls = Array.from({ length: 5 }, () =>
        fixture.client.register({ name: 'minh', delayMs: 300 }, { idempotencyKey: key }),
      );
      const responses = await Promise.all(calls);
      assert.equal(executions.register, before + 1);
      for (const response of responses) assert.deepEqual(response, responses[0]);
    });

    it('reusing a key for a different request is INVALID_ARGUMENT', async () => {
      const key = randomUUID();
      await fixture.client.register({ name: 'hoa' }, { idempotencyKey: key });
      const before = executions.register;
      await assert.rejects(fixture.client.register({ name: 'hung' }, { idempotencyKey: key }), (error) => {
        const details = readErrorDetails(error);
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        assert.equal(details.badRequest?.fieldViolations[0]?.reason, 'KEY_REUSED');
        return true;
      });
      assert.equal(executions.register, before);
    });

    it('a failure is not remembered: the retry runs the handler again', async () => {
      const key = randomUUID();
      failNext = true;
      await assert.rejects(
        fixture.client.register({ name: 'tuan' }, { idempotencyKey: key }),
        (error) => readErrorDetails(error)?.code === status.UNAVAILABLE,
      );
      const before = executions.register;
      const retry = await fixture.client.register({ name: 'tuan' }, { idempotencyKey: key });
      assert.equal(executions.register, before + 1);
      assert.equal(retry.execution, before + 1);
    });

    it('without a key the call simply runs; a method can require one', async () => {
      const before = executions.register;
      await fixture.client.register({ name: 'an' });
      await fixture.client.register({ name: 'an' });
      assert.equal(executions.register, before + 2);

      await assert.rejects(fixture.client.echo({ text: 'x' }), (error) => {
        const details = readErrorDetails(error);
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        assert.equal(details.badRequest?.fieldViolations[0]?.field, 'idempotency-key');
        return true;
      });
    });

    it('a duplicate that waits longer than allowed gets ABORTED, and the first call still completes', async () => {
      const before = executions.echo;
      const key = randomUUID();
      const first = fixture.client.echo({ text: 'slow', delayMs: 600 }, { idempotencyKey: key });
      await sleep(100);
      await assert.rejects(
        fixture.client.echo({ text: 'slow', delayMs: 600 }, { idempotencyKey: key }),
        (error) => {
          const details = readErrorDetails(error);
          assert.equal(details?.code, status.ABORTED);
          assert.equal(details.errorInfo?.reason, IDEMPOTENCY_KEY_IN_USE);
          return true;
        },
      );
      assert.equal((await first).text, 'slow');
      const replay = await fixture.client.echo({ text: 'slow', delayMs: 600 }, { idempotencyKey: key });
      assert.equal(replay.text, 'slow');
      assert.equal(executions.echo, before + 1);
    });
  });
}
