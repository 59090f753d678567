import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { readErrorDetails, unauthenticated } from './errors.js';
import { grpcServiceDefinition, methodPath } from './service.js';
import { EchoService, startAuthenticatedEcho, startEcho, type EchoFixture } from './test-support/echo.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* slowly<T>(items: T[], delayMs = 5): AsyncGenerator<T> {
  for (const item of items) {
    await sleep(delayMs);
    yield item;
  }
}

describe('grpc-js service definition from a protobuf-es descriptor', () => {
  it('has the path, streaming flags and codecs of every method', () => {
    const definition = grpcServiceDefinition(EchoService);
    assert.deepEqual(Object.keys(definition).sort(), ['Count', 'Echo', 'Register', 'Shout', 'Sum']);
    assert.equal(definition['Echo']!.path, '/cancuoc.grpctest.v1.EchoService/Echo');
    assert.equal(methodPath(EchoService.method.count), '/cancuoc.grpctest.v1.EchoService/Count');
    const flags = Object.fromEntries(
      Object.entries(definition).map(([name, d]) => [name, [d.requestStream, d.responseStream]]),
    );
    assert.deepEqual(flags, {
      Echo: [false, false],
      Register: [false, false],
      Count: [false, true],
      Sum: [true, false],
      Shout: [true, true],
    });
  });
});

describe('calls over a real port', () => {
  let fixture: EchoFixture;
  let countCancelled: Promise<void>;
  before(async () => {
    let markCancelled: () => void = () => undefined;
    countCancelled = new Promise<void>((resolve) => (markCancelled = resolve));
    fixture = await startEcho({
      // Writable style: call.send, watching call.signal; used for the cancellation test below.
      async count(request, call) {
        if (request.count > 0) {
          for (let n = 1; n <= request.count; n++) await call.send({ n });
          return;
        }
        for (let n = 1; !call.signal.aborted; n++) {
          await call.send({ n }).catch(() => undefined);
          await sleep(5);
        }
        markCancelled();
      },
    });
  });
  after(() => fixture.close());

  it('unary: the request goes out and the response comes back typed', async () => {
    const response = await fixture.client.echo({ text: 'xin chào' });
    assert.equal(response.$typeName, 'cancuoc.grpctest.v1.EchoResponse');
    assert.equal(response.text, 'xin chào');
    assert.equal(response.principal, '');
  });

  it('server streaming: every message in order, then the end of the stream', async () => {
    const numbers = await collect(fixture.client.count({ count: 50 }));
    assert.deepEqual(
      numbers.map((m) => m.n),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('server streaming: breaking out of the loop cancels the call on the server', async () => {
    const seen: number[] = [];
    for await (const message of fixture.client.count({ count: 0 })) {
      seen.push(message.n);
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, [1, 2, 3]);
    await Promise.race([
      countCancelled,
      sleep(5_000).then(() => assert.fail('the server never saw the cancellation')),
    ]);
  });

  it('client streaming: the server reads the whole request stream', async () => {
    const response = await fixture.client.sum(slowly([1n, 2n, 3n, 40n].map((value) => ({ value }))));
    assert.equal(response.total, 46n);
    assert.equal(response.count, 4);
    const empty = await fixture.client.sum([]);
    assert.equal(empty.count, 0);
  });

  it('bidi streaming: answers interleave with requests', async () => {
    const answers = await collect(
      fixture.client.shout(slowly([{ text: 'a' }, { text: 'bc' }, { text: 'đ' }])),
    );
    assert.deepEqual(
      answers.map((a) => a.text),
      ['A', 'BC', 'Đ'],
    );
  });

  it('refuses control characters in any text of a request, unary or streamed, naming the field', async () => {
    await assert.rejects(fixture.client.echo({ text: 'Nguy\u0000n' }), (error) => {
      const details = readErrorDetails(error);
      assert.equal(details?.code, status.INVALID_ARGUMENT);
      assert.deepEqual(
        details.badRequest?.fieldViolations.map((v) => [v.field, v.reason]),
        [['text', 'CONTROL_CHARACTER']],
      );
      return true;
    });
    await assert.rejects(
      collect(fixture.client.shout(slowly([{ text: 'ok' }, { text: 'bell\u0007' }]))),
      (error) => readErrorDetails(error)?.code === status.INVALID_ARGUMENT,
    );
    // Tab and newline are text, not control characters to refuse.
    assert.equal((await fixture.client.echo({ text: 'a\tb\nc' })).text, 'a\tb\nc');
  });

  it('an aborted signal cancels a unary call', async () => {
    const controller = new AbortController();
    const call = fixture.client.echo({ text: 'slow', delayMs: 2_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, (error) => readErrorDetails(error)?.code === status.CANCELLED);
  });

  it('a deadline that passes fails the call with DEADLINE_EXCEEDED', async () => {
    await assert.rejects(
      fixture.client.echo({ text: 'slow', delayMs: 2_000 }, { timeoutMs: 100 }),
      (error) => readErrorDetails(error)?.code === status.DEADLINE_EXCEEDED,
    );
  });
});

describe('a server-streaming handler that throws midway', () => {
  let fixture: EchoFixture;
  before(async () => (fixture = await startEcho()));
  after(() => fixture.close());

  it('delivers the messages before the failure, then the status with its details', async () => {
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const message of fixture.client.count({ count: 10, failAfter: 4 })) seen.push(message.n);
      })(),
      (error) => {
        const details = readErrorDetails(error);
        assert.equal(details?.code, status.FAILED_PRECONDITION);
        assert.equal(details.preconditionFailure?.violations[0]?.description, 'stopped after 4');
        return true;
      },
    );
    assert.deepEqual(seen, [1, 2, 3, 4]);
  });
});

describe('authentication hook', () => {
  let fixture: EchoFixture;
  const authenticate = (metadata: Metadata) => {
    const header = metadata.get('authorization')[0];
    if (header !== 'Bearer station-7') throw unauthenticated('missing or invalid token');
    return 'station-7';
  };
  let bodyRan = false;
  before(
    async () =>
      (fixture = await startAuthenticatedEcho(authenticate, {
        async register() {
          bodyRan = true;
          return { id: 'never' };
        },
      })),
  );
  after(() => fixture.close());

  it('refuses a call without valid credentials with UNAUTHENTICATED before the handler runs', async () => {
    await assert.rejects(fixture.client.register({ name: 'x' }), (error) => {
      const details = readErrorDetails(error);
      assert.equal(details?.code, status.UNAUTHENTICATED);
      assert.equal(details.message, 'missing or invalid token');
      return true;
    });
    await assert.rejects(
      fixture.client.register({ name: 'x' }, { metadata: { authorization: 'Bearer forged' } }),
      (error) => readErrorDetails(error)?.code === status.UNAUTHENTICATED,
    );
    assert.equal(bodyRan, false);
  });

  it('hands the principal to the handler', async () => {
    const response = await fixture.client.echo(
      { text: 'hi' },
      { metadata: { authorization: 'Bearer station-7' } },
    );
    assert.equal(response.principal, 'station-7');
  });

  it('guards streaming calls too', async () => {
    await assert.rejects(
      collect(fixture.client.count({ count: 2 })),
      (error) => readErrorDetails(error)?.code === status.UNAUTHENTICATED,
    );
    const ok = await collect(
      fixture.client.count({ count: 2 }, { metadata: { authorization: 'Bearer station-7' } }),
    );
    assert.equal(ok.length, 2);
  });

  it('answers bytes that are no request with UNAUTHENTICATED without a token and INVALID_ARGUMENT with one', async () => {
    const raw = new Client(fixture.server.address, credentials.createInsecure());
    const send = (bytes: Buffer, token?: string) =>
      new Promise<unknown>((resolve) => {
        const metadata = new Metadata();
        if (token) metadata.set('authorization', token);
        raw.makeUnaryRequest(
          methodPath(EchoService.method.register),
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          (error) => resolve(error),
        );
      });
    try {
      // A field tag of wire type 7 (not a wire type) and a truncated length-delimited field.
      for (const bytes of [Buffer.from([0x0f, 0x01]), Buffer.from([0x0a, 0x10, 0x41])]) {
        assert.equal(readErrorDetails(await send(bytes))?.code, status.UNAUTHENTICATED);
        const details = readErrorDetails(await send(bytes, 'Bearer station-7'));
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        assert.equal(details.badRequest?.fieldViolations[0]?.reason, 'UNDECODABLE');
      }
      assert.equal(bodyRan, false);
    } finally {
      raw.close();
    }
  });
});
