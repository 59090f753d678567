/**
 * The body of the producer thread that `KafkaTransport` starts with `producerThread: true`: a
 * kafkajs producer of its own, fed batches by the transport over `postMessage`. The relay's thread
 * then only reads and maps events while kafkajs encodes, partitions and sends on another core —
 * kafkajs alone is about 60% of the relay's thread (docs/benchmarks.md, Messaging).
 *
 * Protocol: `{ id, kind: 'send', batches, after? }` (`batches` from `encodeBatches`, transferred)
 * and `{ id, kind: 'close' }`, each answered once with `{ id, ok: true }` or
 * `{ id, ok: false, error: { name, message, retriable } }`, in no particular order. A send with `after` waits for that earlier send: it goes out as soon as that one
 * is acknowledged (a relay's next batch, handed over in advance), and fails unsent when that one
 * failed or is unknown to this thread (sent to a thread that has since died).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import {
  decodeBatches,
  type ProducerThreadData,
  type ProducerThreadReply,
  type ProducerThreadRequest,
} from './kafka-producer.js';
// Before any kafkajs connection opens: its request queues must not spin while idle.
import './kafkajs-idle.js';

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

/** Whether each recent send succeeded, for the sends that wait for it. */
const outcomes = new Map<number, Promise<boolean>>();
const KEPT_OUTCOMES = 1024;

function remember(id: number, outcome: Promise<boolean>): void {
  outcomes.set(id, outcome);
  if (outcomes.size > KEPT_OUTCOMES) outcomes.delete(outcomes.keys().next().value!);
}

class EarlierBatchFailed extends Error {
  override readonly name = 'EarlierBatchFailed';
  readonly retriable = true;
}

function reply(message: ProducerThreadReply): void {
  port.postMessage(message);
}

port.on('message', (request: ProducerThreadRequest) => {
  void (async () => {
    try {
      if (request.kind === 'send') {
        const earlier = request.after === undefined ? undefined : (outcomes.get(request.after) ?? false);
        // Decoded before waiting, so that the batch goes out the moment the one ahead is acknowledged.
        const topicMessages = decodeBatches(request.batches);
        const sending = (async () => {
          if (earlier !== undefined && !(await earlier)) {
            throw new EarlierBatchFailed(
              `not sent: batch ${request.after}, ahead of it, was not acknowledged`,
            );
          }
          const p = await getProducer();
          await p.sendBatch({ acks: -1, topicMessages });
        })();
        remember(
          request.id,
          sending.then(
            () => true,
            () => false,
          ),
        );
        await sending;
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
