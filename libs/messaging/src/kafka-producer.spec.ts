import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import { ProducerThread, ProducerThreadError } from './kafka-producer.js';
import { KafkaTransport } from './kafka-transport.js';
import type { IncomingRecord, OutgoingRecord } from './transport.js';

const TOPIC = 'internal.producer.thread.v1';

const transport = (broker: KafkaBroker, producerThread: boolean) =>
  new KafkaTransport({
    brokers: broker.bootstrapServers,
    clientId: `producer-${producerThread ? 'thread' : 'inline'}`,
    idempotent: false,
    requestTimeoutMs: 5_000,
    producerThread,
  });

async function readAll(t: KafkaTransport, group: string, count: number): Promise<IncomingRecord[]> {
  const got: IncomingRecord[] = [];
  const sub = await t.subscribe({
    group,
    topics: [TOPIC],
    fromBeginning: true,
    handle: async (r) => void got.push(r),
  });
  const deadline = Date.now() + 30_000;
  while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sub.stop();
  return got;
}

describe('KafkaTransport sending from a producer thread (Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  before(async () => {
    broker = await startKafkaBroker({ topics: [{ name: TOPIC, partitions: 3 }], brokers: 1 });
  });
  after(() => broker?.stop());

  it('delivers what the caller’s thread would: keys, values (a view into a larger buffer too), headers, order per key', async () => {
    const big = new Uint8Array(1024).map((_, i) => i % 251);
    const records = (from: string): OutgoingRecord[] =>
      Array.from({ length: 60 }, (_, n) => ({
        topic: TOPIC,
        key: `k${n % 7}`,
        value: n % 10 === 9 ? null : big.subarray(n, n + 3 + (n % 5)),
        headers: { n: String(n), from },
      }));
    for (const threaded of [true, false]) {
      const t = transport(broker, threaded);
      const sent = records(threaded ? 'thread' : 'inline');
      for (let i = 0; i < sent.length; i += 20) await t.publish(sent.slice(i, i + 20));
      await t.close();
    }
    const reader = transport(broker, false);
    const got = await readAll(reader, 'producer-thread-reader', 120);
    await reader.close();
    assert.equal(got.length, 120);
    const view = (r: IncomingRecord) => ({ key: r.key, value: r.value && [...r.value], n: r.headers.n });
    const of = (from: string) =>
      got
        .filter((r) => r.headers.from === from)
        .sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset))
        .map(view);
    assert.deepEqual(of('thread'), of('inline'), 'same records, same partitions, same order');
    const expected = records('x').map((r) => ({
      key: r.key,
      value: r.value && [...r.value],
      n: r.headers.n,
    }));
    assert.deepEqual(
      of('thread').sort((a, b) => Number(a.n) - Number(b.n)),
      expected,
    );
  });

  it('fails the sends in flight when its thread dies, and the next send starts a new thread', async () => {
    const thread = new ProducerThread({
      kafka: { clientId: 'producer-dies', brokers: [...broker.bootstrapServers] },
      idempotent: false,
    });
    const record = (n: number) => ({
      topic: TOPIC,
      messages: [{ key: 'dies', value: Uint8Array.of(n), headers: { n: String(n), from: 'dies' } }],
    });
    await thread.send([record(1)]);
    const inFlight = thread.send([record(2)]);
    await thread['worker']!.terminate();
    await assert.rejects(inFlight, ProducerThreadError);
    await thread.send([record(3)]);
    await thread.close();
  });

  it('does not keep the process alive once idle, even if the transport is never closed', () => {
    const script = `
      import { KafkaTransport } from ${JSON.stringify(new URL('./kafka-transport.js', import.meta.url).href)};
      const t = new KafkaTransport({ brokers: ${JSON.stringify(broker.bootstrapServers)}, clientId: 'exit', idempotent: false, producerThread: true });
      await t.publish([{ topic: ${JSON.stringify(TOPIC)}, key: 'exit', value: Uint8Array.of(1), headers: {} }]);
      console.log('sent');`;
    const file = join(mkdtempSync(join(tmpdir(), 'producer-exit-')), 'exit.mjs');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /sent/);
  });
});
