/**
 * The body of the producer thread that `KafkaTransport` starts with `producerThread: true`: a
 * kafkajs producer of its own, fed batches by the transport over `postMessage`. The relay's thread
 * then only reads and maps events while kafkajs encodes, partitions and sends on another core —
 * kafkajs alone is about 60% of the relay's thread (docs/benchmarks.md, Messaging).
 *
 * Protocol: `{ id, kind: 'send', topicMessages }` and `{ id, kind: 'close' }`, each answered once
 * with `{ id, ok: true }` or `{ id, ok: false, error: { name, message, retriable } }`, in no
 * particular order; the transport keeps the order its callers need (one relay batch at a time).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { ProducerThreadData, ProducerThreadReply, ProducerThreadRequest } from './kafka-producer.js';

const data = workerData as ProducerThreadData;
const port = parentPort!;

const kafka = new Kafka({ ...data.kafka, logLevel: logLevel.NOTHING });
let producer: Promise<Producer> | undefined;

function getProducer(): Promise<Producer> {
  producer ??= (async () => {
    const p = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: data.idempotent,
      ...(data.idempotent ? { maxInFlightRequests: 1 } : {}),
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await p.connect();
    return p;
  })().catch((error: unknown) => {
    producer = undefined;
    throw error;
  });
  return producer;
}

function reply(message: ProducerThreadReply): void {
  port.postMessage(message);
}

port.on('message', (request: ProducerThreadRequest) => {
  void (async () => {
    try {
      if (request.kind === 'send') {
        const p = await getProducer();
        await p.sendBatch({
          acks: -1,
          topicMessages: request.topicMessages.map((t) => ({
            topic: t.topic,
            messages: t.messages.map((m) => ({
              key: m.key,
              value:
                m.value === null ? null : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
              headers: m.headers,
            })),
          })),
        });
      } else {
        const p = producer;
        producer = undefined;
        await p?.then((x) => x.disconnect()).catch(() => undefined);
      }
      reply({ id: request.id, ok: true });
    } catch (error) {
      const e = error as { name?: string; message?: string; retriable?: boolean };
      reply({
        id: request.id,
        ok: false,
        error: {
          name: e.name ?? 'Error',
          message: e.message ?? String(error),
          retriable: e.retriable ?? false,
        },
      });
    }
  })();
});
