import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import {
  decodeBatches,
  encodeBatches,
  ProducerThread,
  ProducerThreadError,
  type TopicBatch,
} from './kafka-producer.js';
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

/** Reads `count` records (of those `from` one test, when given), or what arrived within 30 s. */
async function readAll(
  t: KafkaTransport,
  group: string,
  count: number,
  from?: string,
): Promise<IncomingRecord[]> {
  const got: IncomingRecord[] = [];
  const sub = await t.subscribe({
    group,
    topics: [TOPIC],
    fromBeginning: true,
    handle: async (r) => void (from === undefined || r.headers.from === from ? got.push(r) : undefined),
  });
  const deadline = Date.now() + 30_000;
  while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sub.stop();
  return got;
}

/** A producer thread of its own, for one test. */
const producerThread = (broker: KafkaBroker, name: string) =>
  new ProducerThread({
    kafka: { clientId: `producer-${name}`, brokers: [...broker.bootstrapServers] },
    idempotent: false,
  });

/** One-record batches of one test: key and header `from` are its name, header `n` the number. */
const batchOf =
  (from: string) =>
  (n: number): TopicBatch => ({
    topic: TOPIC,
    messages: [{ key: from, value: Uint8Array.of(n), headers: { n: String(n), from } }],
  });

/** The numbers (header `n`) of the first `count` records one test sent, in the order they arrived. */
async function numbersArrived(broker: KafkaBroker, from: string, count: number): Promise<number[]> {
  const reader = transport(broker, false);
  try {
    return (await readAll(reader, `producer-${from}-reader`, count, from)).map((r) => Number(r.headers.n));
  } finally {
    await reader.close();
  }
}

describe('the buffer a batch crosses to the producer thread in', () => {
  it('carries every topic, key, value and header as it was, null values and non-ASCII text too', () => {
    const big = new Uint8Array(4096).map((_, i) => i % 253);
    const batches: TopicBatch[] = [
      {
        topic: 'public.registry.citizen.v1',
        messages: [
          {
            key: 'citizen-1',
            value: big.subarray(100, 1100),
            headers: { ce_id: 'a', 'họ tên': 'Nguyễn Thị Ánh 😀' },
          },
          { key: 'Đặng', value: null, headers: {} },
          { key: '', value: new Uint8Array(0), headers: { ce_id: 'b', empty: '' } },
        ],
      },
      {
        topic: 'internal.other.v1',
        messages: [{ key: 'k', value: Uint8Array.of(1, 2, 3), headers: { ce_id: 'c' } }],
      },
      { topic: 'internal.empty.v1', messages: [] },
    ];
    const memory = encodeBatches(batches);
    const decoded = decodeBatches(memory);
    const plain = decoded.map((b) => ({
      topic: b.topic,
      messages: b.messages.map((m) => ({
        key: m.key.toString('utf8'),
        value: m.value && new Uint8Array(m.value),
        headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString('utf8')])),
      })),
    }));
    assert.deepEqual(
      plain,
      batches.map((b) => ({
        topic: b.topic,
        messages: b.messages.map((m) => ({ ...m, value: m.value && new Uint8Array(m.value) })),
      })),
    );
    assert.ok(memory.byteLength < 1_300, `cut to what it holds (${memory.byteLength} bytes)`);
  });
});

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
    const thread = producerThread(broker, 'dies');
    const record = batchOf('dies');
    await thread.send([record(1)]);
    // A frozen broker keeps the send in flight until the thread is gone, however fast the machine.
    await broker.pause();
    const refused = assert.rejects(thread.send([record(2)]), ProducerThreadError);
    await thread['worker']!.terminate();
    await broker.resume();
    await refused;
    await thread.send([record(3)]);
    await thread.close();
  });

  it('a thread that exits after its successor started fails only its own sends', async () => {
    const thread = producerThread(broker, 'successor');
    const record = batchOf('successor');
    try {
      await thread.send([record(1)]);
      const dying = thread['worker']!;
      await broker.pause();
      const refused = assert.rejects(thread.send([record(2)]), { name: 'ProducerThreadExited' });
      // Its successor takes a send before the old thread's exit is reported.
      thread['worker'] = undefined;
      const next = thread.send([record(3)]);
      await dying.terminate();
      await broker.resume();
      await refused;
      await next;
    } finally {
      await thread.close();
    }
  });

  it('sends a batch handed over ahead once the one before it is acknowledged, and never after one that failed', async () => {
    const thread = producerThread(broker, 'sequence');
    const record = batchOf('sequence');
    try {
      // Three handed over at once: all three with the thread before the first is acknowledged.
      const first = thread.post([record(1)]);
      const second = thread.post([record(2)], first.id);
      const third = thread.post([record(3)], second.id);
      assert.equal(thread['pending'].size, 3);
      const order: number[] = [];
      await Promise.all([first, second, third].map((p, i) => p.acked.then(() => void order.push(i + 1))));
      assert.deepEqual(order, [1, 2, 3]);

      // A batch kafkajs refuses (no topic name), and the two handed over after it.
      const bad = thread.post([{ ...record(4), topic: '' }]);
      const next = thread.post([record(5)], bad.id);
      const later = thread.post([record(6)], next.id);
      await assert.rejects(bad.acked, ProducerThreadError);
      for (const unsent of [next, later]) {
        await assert.rejects(
          unsent.acked,
          (e: ProducerThreadError) => e.name === 'EarlierBatchFailed' && e.retriable,
        );
      }
      // A new sequence starts clean, and one waiting for a send the thread does not know fails unsent.
      await thread.post([record(7)]).acked;
      await assert.rejects(thread.post([record(8)], 999_999).acked, { name: 'EarlierBatchFailed' });
    } finally {
      await thread.close();
    }
    // One key, one partition: a 5 or 6 sent by mistake would have come before the 7.
    assert.deepEqual(
      await numbersArrived(broker, 'sequence', 4),
      [1, 2, 3, 7],
      'in order, and nothing handed over after the failed batch',
    );
  });

  it('a batch that cannot be handed over breaks its sequence: nothing after it is sent', async () => {
    const t = transport(broker, true);
    const record = (n: number, headers: Record<string, string> = {}): OutgoingRecord => ({
      topic: TOPIC,
      key: 'unencodable',
      value: Uint8Array.of(n),
      headers: { n: String(n), from: 'unencodable', ...headers },
    });
    try {
      const sequence = t.sequence();
      const first = sequence.publish([record(1)]);
      // A header that is not a string at run time does not encode: the batch never reaches the thread.
      const bad = sequence.publish([record(2, { bad: 5 as unknown as string })]);
      const after = sequence.publish([record(3)]);
      await first;
      await assert.rejects(bad, /header bad of a record for internal.producer.thread.v1 is not a string/);
      await assert.rejects(after, /header bad/);
      await t.sequence().publish([record(4)]);
    } finally {
      await t.close();
    }
    // One key, one partition: a 3 sent by mistake would have come before the 4.
    assert.deepEqual(await numbersArrived(broker, 'unencodable', 2), [1, 4]);
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
