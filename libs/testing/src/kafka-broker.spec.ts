import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners, type IHeaders, type KafkaConfig, type Producer } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from './kafka-broker.js';

interface Received {
  readonly partition: number;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

const TEST_TIMEOUT_MS = 20_000;
// The mock holds a group's first join for 3 s and a rejoin after a leave for
// sessionTimeout - 1 s, so a short session keeps the suite fast.
const CONSUMER = { sessionTimeout: 4_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 };

function kafkaClient(bootstrapServers: string[], overrides: Partial<KafkaConfig> = {}): Kafka {
  // NOTHING: the pause test provokes request timeouts on purpose.
  return new Kafka({
    clientId: 'kafka-broker-spec',
    brokers: bootstrapServers,
    logLevel: logLevel.NOTHING,
    ...overrides,
  });
}

function newProducer(kafka: Kafka): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));
}

async function waitFor(condition: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}

/**
 * Runs a group member that commits every record right after receiving it,
 * until `done` holds, then leaves the group.
 */
async function consumeAndCommit(
  kafka: Kafka,
  groupId: string,
  topic: string,
  done: (records: readonly Received[]) => boolean,
): Promise<Received[]> {
  const records: Received[] = [];
  const consumer = kafka.consumer({ groupId, ...CONSUMER });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headerStrings(message.headers),
        });
        const next = (BigInt(message.offset) + 1n).toString();
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
      },
    });
    await waitFor(
      () => done(records),
      () => `group ${groupId} to finish; it has ${records.length} record(s)`,
    );
  } finally {
    await consumer.disconnect();
  }
  return records;
}

describe('startKafkaBroker (librdkafka mock cluster)', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let producer: Producer;

  before(async () => {
    broker = await startKafkaBroker({
      topics: [
        { name: 'orders', partitions: 3 },
        { name: 'outages', partitions: 2 },
      ],
    });
    kafka = kafkaClient(broker.bootstrapServers);
    producer = newProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await broker?.stop();
  });

  it('serves metadata for the pre-created topics', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(broker.bootstrapServers.length > 0);
    for (const server of broker.bootstrapServers) assert.match(server, /^127\.0\.0\.1:\d+$/);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'outages'] });
      const partitions = Object.fromEntries(topics.map((topic) => [topic.name, topic.partitions.length]));
      assert.deepEqual(partitions, { orders: 3, outages: 2 });
    } finally {
      await admin.disconnect();
    }
  });

  it(
    'delivers keyed records with headers to a consumer group, in order per key, and commits offsets',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const keys = ['citizen-1', 'citizen-2', 'citizen-3', 'citizen-4', 'citizen-5'];
      let seq = 0;
      for (let batch = 0; batch < 3; batch++) {
        await producer.send({
          topic: 'orders',
          messages: Array.from({ length: 10 }, () => {
            seq++;
            const key = keys[seq % keys.length] ?? '';
            return {
              key,
              value: `order-${seq}`,
              headers: { seq: String(seq), 'content-type': 'application/json' },
            };
          }),
        });
      }

      const records = await consumeAndCommit(kafka, 'order-readers', 'orders', (got) => got.length >= seq);

      assert.equal(records.length, seq);
      assert.deepEqual(new Set(records.map((record) => record.value)).size, seq);
      for (const record of records) {
        const recordSeq = Number(record.headers['seq']);
        assert.equal(record.value, `order-${recordSeq}`);
        assert.equal(record.key, keys[recordSeq % keys.length]);
        assert.equal(record.headers['content-type'], 'application/json');
      }
      for (const key of keys) {
        const ofKey = records.filter((record) => record.key === key);
        assert.equal(new Set(ofKey.map((record) => record.partition)).size, 1, `${key} spans partitions`);
        const seqs = ofKey.map((record) => Number(record.headers['seq']));
        assert.deepEqual(
          seqs,
          seqs.toSorted((a, b) => a - b),
          `${key} delivered out of order`,
        );
      }

      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets('orders');
        const [committed] = await admin.fetchOffsets({ groupId: 'order-readers', topics: ['orders'] });
        const byPartition = (list: readonly { partition: number; offset: string }[]): Map<number, string> =>
          new Map(list.map((entry) => [entry.partition, entry.offset]));
        assert.deepEqual(byPartition(committed?.partitions ?? []), byPartition(ends));
      } finally {
        await admin.disconnect();
      }
    },
  );

  it('lets a new group member resume after the committed offsets', { timeout: TEST_TIMEOUT_MS }, async () => {
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets('orders');
    await admin.disconnect();
    const existing = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
    await producer.send({
      topic: 'orders',
      messages: ['a', 'b', 'c', 'd'].map((key) => ({ key, value: `before-${key}` })),
    });
    const first = await consumeAndCommit(kafka, 'resumers', 'orders', (got) => got.length >= existing + 4);
    assert.equal(first.length, existing + 4);

    // Two new records in every partition: a redelivered record would come
    // before them in its partition, so it cannot slip in after the wait below.
    const later = Array.from({ length: 6 }, (_, i) => ({ partition: i % 3, value: `after-${i}` }));
    await producer.send({ topic: 'orders', messages: later });
    const laterValues = later.map((record) => record.value);
    const second = await consumeAndCommit(kafka, 'resumers', 'orders', (got) =>
      laterValues.every((value) => got.some((record) => record.value === value)),
    );
    assert.deepEqual(second.map((record) => record.value).toSorted(), laterValues.toSorted());
  });

  it(
    'delivers records produced while the broker is paused once it resumes',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Short timeouts make kafkajs give up on the frozen connection and retry.
      const impatient = kafkaClient(broker.bootstrapServers, {
        requestTimeout: 1_000,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 20 },
      });
      const outageProducer = newProducer(impatient);
      let requestTimeouts = 0;
      outageProducer.on(outageProducer.events.REQUEST_TIMEOUT, () => requestTimeouts++);
      await outageProducer.connect();

      const received: string[] = [];
      const consumer = impatient.consumer({ groupId: 'outage-readers', ...CONSUMER });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: 'outages', fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            received.push(message.value?.toString() ?? '');
          },
        });
        await outageProducer.send({ topic: 'outages', messages: [{ key: 'k', value: 'before-pause' }] });
        await waitFor(
          () => received.includes('before-pause'),
          () => 'the consumer to receive the record sent before the pause',
        );

        await broker.pause();
        const during = Array.from({ length: 6 }, (_, i) => `during-pause-${i}`);
        let sent = false;
        const sending = outageProducer
          .send({ topic: 'outages', messages: during.map((value, i) => ({ key: `k${i}`, value })) })
          .then(() => {
            sent = true;
          });
        await sleep(2_500);
        assert.equal(sent, false, 'a paused broker acknowledged a produce request');
        assert.ok(requestTimeouts > 0, 'the producer never timed out against the paused broker');

        await broker.resume();
        await sending;
        // Retried produce requests may have been written twice: at-least-once.
        await waitFor(
          () => during.every((value) => received.includes(value)),
          () => `records produced during the pause; received ${JSON.stringify(received)}`,
        );
        const unexpected = received.filter((value) => value !== 'before-pause' && !during.includes(value));
        assert.deepEqual(unexpected, []);
      } finally {
        await broker.resume();
        await consumer.disconnect();
        await outageProducer.disconnect();
      }
    },
  );
});
