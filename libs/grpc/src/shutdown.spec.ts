import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { createClient } from './client.js';
import { readErrorDetails } from './errors.js';
import { Health } from './gen/grpc/health/v1/health_pb.js';
import { ServingStatus } from './health.js';
import { EchoService, startEcho } from './test-support/echo.js';

describe('graceful shutdown', () => {
  it('lets an in-flight call finish, refuses new calls and reports NOT_SERVING', async () => {
    let started = 0;
    const fixture = await startEcho({
      async echo(request) {
        started += 1;
        await sleep(request.delayMs);
        return { text: request.text };
      },
    });
    try {
      const inFlight = fixture.client.echo({ text: 'finishing', delayMs: 500 });
      while (started === 0) await sleep(5);

      const stopping = fixture.server.shutdown(5_000);
      assert.equal(fixture.server.health.get(''), ServingStatus.NOT_SERVING);
      assert.equal(fixture.server.health.get(EchoService.typeName), ServingStatus.NOT_SERVING);

      // A call on a new connection is refused while the old call drains.
      const late = createClient(EchoService, fixture.server.address);
      await assert.rejects(late.echo({ text: 'too late' }, { timeoutMs: 2_000 }), (error) => {
        const code = readErrorDetails(error)?.code;
        return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED;
      });
      late[Symbol.dispose]();

      assert.equal((await inFlight).text, 'finishing');
      assert.deepEqual(await stopping, { forced: false });
      assert.equal(started, 1);
    } finally {
      fixture.client[Symbol.dispose]();
    }
  });

  it('ends health Watch streams instead of waiting for them', async () => {
    const fixture = await startEcho();
    const health = createClient(Health, fixture.server.address);
    try {
      const seen: ServingStatus[] = [];
      const watching = (async () => {
        for await (const change of health.watch({ service: '' })) seen.push(change.status);
      })();
      while (seen.length === 0) await sleep(5);
      const result = await fixture.server.shutdown(5_000);
      await watching;
      assert.deepEqual(result, { forced: false });
      assert.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    } finally {
      health[Symbol.dispose]();
      fixture.client[Symbol.dispose]();
    }
  });

  it('signals draining to long-lived streams, and forces what outlasts the deadline', async () => {
    let sawDraining = false;
    const fixture = await startEcho({
      async count(request, call) {
        // A polite stream: ends when the server drains.
        if (request.count === 1) {
          await call.send({ n: 1 });
          await new Promise((resolve) => call.draining.addEventListener('abort', resolve, { once: true }));
          sawDraining = true;
          return;
        }
        // A stubborn one: keeps streaming until it is cut off.
        for (let n = 1; !call.signal.aborted; n++) {
          await call.send({ n }).catch(() => undefined);
          await sleep(10);
        }
      },
    });
    try {
      const polite: number[] = [];
      const politeDone = (async () => {
        for await (const m of fixture.client.count({ count: 1 })) polite.push(m.n);
      })();
      while (polite.length === 0) await sleep(5);
      const stopping = fixture.server.shutdown(10_000);
      await politeDone;
      assert.equal(sawDraining, true);
      assert.deepEqual(await stopping, { forced: false });
    } finally {
      fixture.client[Symbol.dispose]();
    }

    const stubborn = await startEcho({
      async count(_request, call) {
        for (let n = 1; !call.signal.aborted; n++) {
          await call.send({ n }).catch(() => undefined);
          await sleep(10);
        }
      },
    });
    try {
      const received: number[] = [];
      const streaming = (async () => {
        for await (const m of stubborn.client.count({ count: 0 }, { timeoutMs: 30_000 })) received.push(m.n);
      })();
      const outcome = streaming.then(
        () => status.OK,
        (error: unknown) => readErrorDetails(error)?.code,
      );
      while (received.length === 0) await sleep(5);
      const started = Date.now();
      const result = await stubborn.server.shutdown(300);
      assert.deepEqual(result, { forced: true });
      assert.ok(Date.now() - started < 5_000);
      const code = await outcome;
      assert.ok(code === status.CANCELLED || code === status.UNAVAILABLE, `the stream ended with ${code}`);
    } finally {
      stubborn.client[Symbol.dispose]();
    }
  });
});
