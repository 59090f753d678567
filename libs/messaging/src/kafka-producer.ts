import { Worker } from 'node:worker_threads';
import type { KafkaConfig } from 'kafkajs';

/** One topic's records of a batch, in the form both senders take. */
export interface TopicBatch {
  readonly topic: string;
  readonly messages: ReadonlyArray<{
    readonly key: string;
    readonly value: Uint8Array | null;
    readonly headers: Readonly<Record<string, string>>;
  }>;
}

export interface ProducerThreadData {
  readonly kafka: Omit<KafkaConfig, 'logLevel' | 'logCreator'>;
  readonly idempotent: boolean;
}

export type ProducerThreadRequest =
  | { readonly id: number; readonly kind: 'send'; readonly topicMessages: readonly TopicBatch[] }
  | { readonly id: number; readonly kind: 'close' };

export type ProducerThreadReply =
  | { readonly id: number; readonly ok: true }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string; readonly retriable: boolean };
    };

/** A send the producer thread refused or failed; `retriable` as kafkajs said. */
export class ProducerThreadError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** Whether a kafkajs configuration can cross to a thread: no functions (an OAuth token provider, say). */
export function crossesThreads(config: object): boolean {
  try {
    structuredClone(config);
    return true;
  } catch {
    return false;
  }
}

/**
 * A kafkajs producer on a thread of its own. `send` resolves once the brokers acknowledged the
 * batch (acks -1), or rejects with what the producer reported; a thread that dies fails every send
 * in flight and is started again by the next one. The thread keeps the process alive only while a
 * send is in flight.
 */
export class ProducerThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly data: ProducerThreadData) {}

  send(topicMessages: readonly TopicBatch[]): Promise<void> {
    return this.request({ id: this.nextId++, kind: 'send', topicMessages: topicMessages.map(compact) });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.request({ id: this.nextId++, kind: 'close' }).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }

  private request(message: ProducerThreadRequest): Promise<void> {
    const worker = this.getWorker();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.ref();
      worker.postMessage(message);
    });
  }

  private getWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./kafka-producer-thread.js', import.meta.url), {
      workerData: this.data,
      name: 'cancuoc-kafka-producer',
    });
    worker.unref();
    worker.on('message', (reply: ProducerThreadReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve();
      else
        waiting.reject(new ProducerThreadError(reply.error.name, reply.error.message, reply.error.retriable));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new ProducerThreadError('ProducerThreadExited', `exit code ${code}`, true)),
    );
    this.worker = worker;
    return worker;
  }
}

/**
 * A value that views part of a larger buffer is copied down to its bytes: posting a view copies
 * the whole buffer under it.
 */
function compact(batch: TopicBatch): TopicBatch {
  return {
    topic: batch.topic,
    messages: batch.messages.map((m) =>
      m.value !== null && m.value.byteLength !== m.value.buffer.byteLength
        ? { ...m, value: m.value.slice() }
        : m,
    ),
  };
}
