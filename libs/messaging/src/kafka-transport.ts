import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type IHeaders,
  type KafkaConfig,
  type Producer,
} from 'kafkajs';
import {
  chainedSequence,
  deliverInOrder,
  type PublishSequence,
  type IncomingRecord,
  type OutgoingRecord,
  type SubscribeOptions,
  type Transport,
  type TransportSubscription,
} from './transport.js';
import { crossesThreads, ProducerThread, type TopicBatch } from './kafka-producer.js';
// Before any kafkajs connection opens: its request queues must not spin while idle.
import './kafkajs-idle.js';

export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  /** Names this service to the brokers (quotas, logs, ACL principals). */
  readonly clientId: string;
  /**
   * Idempotent producer: no duplicates from the producer's own retries. On by default for a real
   * cluster; librdkafka's mock broker (the test broker) cannot do it.
   */
  readonly idempotent?: boolean;
  readonly ssl?: KafkaConfig['ssl'];
  readonly sasl?: KafkaConfig['sasl'];
  /** How long a send waits for the brokers' acknowledgement before it fails and is retried. */
  readonly requestTimeoutMs?: number;
  /** A member silent for this long is dropped from its group and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
  /**
   * Longest wait of a fetch for new records when there are none; bounds both the idle latency and
   * how long leaving the group waits for the fetch in flight.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Sends from a producer on a thread of its own, so that encoding and sending records runs on
   * another core than the caller's (a relay's reading and mapping). Falls back to sending on the
   * caller's thread when the configuration cannot cross threads (a SASL provider function). On by
   * default; `false` sends on the caller's thread.
   */
  readonly producerThread?: boolean;
}

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return headers;
}

/** A batch's records grouped by topic, each topic's in their order. */
function byTopic(records: readonly OutgoingRecord[]): TopicBatch[] {
  const topics = new Map<string, OutgoingRecord[]>();
  for (const record of records) {
    const list = topics.get(record.topic);
    if (list) list.push(record);
    else topics.set(record.topic, [record]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** The production transport: kafkajs against a Kafka cluster. */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka';
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly consumers = new Set<Consumer>();
  private readonly thread: ProducerThread | undefined;

  constructor(private readonly options: KafkaTransportOptions) {
    const config = {
      clientId: options.clientId,
      brokers: [...options.brokers],
      ...(options.ssl !== undefined && { ssl: options.ssl }),
      ...(options.sasl !== undefined && { sasl: options.sasl }),
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    } satisfies KafkaConfig;
    // kafkajs logs connection trouble at ERROR for every retry; the callers report what matters.
    this.kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING });
    if ((options.producerThread ?? true) && crossesThreads(config)) {
      this.thread = new ProducerThread({ kafka: config, idempotent: options.idempotent ?? true });
    }
  }

  private getProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const idempotent = this.options.idempotent ?? true;
      const producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        idempotent,
        ...(idempotent ? { maxInFlightRequests: 1 } : {}),
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })().catch((error: unknown) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.thread) {
      await this.thread.send(byTopic(records));
      return;
    }
    const producer = await this.getProducer();
    await producer.sendBatch({
      acks: -1,
      topicMessages: byTopic(records).map(({ topic, messages }) => ({
        topic,
        messages: messages.map((r) => ({
          key: r.key,
          value:
            r.value === null ? null : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: { ...r.headers },
        })),
      })),
    });
  }

  /**
   * On the producer thread, each batch is handed over at once and sent as soon as the one ahead of it
   * is acknowledged; without the thread, `publish` calls chained.
   */
  sequence(): PublishSequence {
    const thread = this.thread;
    if (!thread) return chainedSequence((records) => this.publish(records));
    let last: { readonly id: number; readonly acked: Promise<void> } | undefined;
    // A batch that could not even be handed over (a value that does not encode) breaks the
    // sequence here, as a failed send breaks it on the thread.
    let broken: Promise<void> | undefined;
    return {
      publish: (records) => {
        if (broken) return broken;
        if (records.length === 0) return last ? last.acked : Promise.resolve();
        try {
          last = thread.post(byTopic(records), last?.id);
        } catch (error) {
          broken = Promise.reject(error instanceof Error ? error : new Error(String(error)));
          broken.catch(() => undefined);
          return broken;
        }
        return last.acked;
      },
    };
  }

  async subscribe(options: SubscribeOptions): Promise<TransportSubscription> {
    const consumer = this.kafka.consumer({
      groupId: options.group,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 500,
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 10, restartOnFailure: async () => true },
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, options.concurrency ?? 1),
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        let next: bigint | undefined;
        try {
          const records = batch.messages.map((message): IncomingRecord => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: BigInt(message.offset),
            key: message.key?.toString() ?? '',
            value: message.value ? new Uint8Array(message.value) : null,
            headers: headersOf(message.headers),
          }));
          await deliverInOrder(
            options,
            records,
            { heartbeat },
            (last) => {
              resolveOffset(last.offset.toString());
              next = last.offset + 1n;
            },
            () => isRunning() && !isStale(),
          );
        } catch (error) {
          options.onError?.(error);
          throw error;
        } finally {
          // Commit what was consumed even when a later record failed, so only that one comes again.
          if (next !== undefined && !isStale()) {
            await consumer.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: next.toString() },
            ]);
          }
        }
      },
    });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async endOffsets(topic: string): Promise<ReadonlyMap<number, bigint>> {
    const admin = await this.getAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  async committedOffsets(group: string, topic: string): Promise<ReadonlyMap<number, bigint>> {
    const admin = await this.getAdmin();
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committed = new Map<number, bigint>();
    for (const p of entry?.partitions ?? []) {
      if (BigInt(p.offset) >= 0n) committed.set(p.partition, BigInt(p.offset));
    }
    return committed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.disconnect().catch(() => undefined)));
    this.consumers.clear();
    const producer = this.producer;
    const admin = this.admin;
    this.producer = undefined;
    this.admin = undefined;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
    await this.thread?.close();
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}
