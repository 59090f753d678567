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
  | {
      readonly id: number;
      readonly kind: 'send';
      /** The batch's records, `encodeBatches` of them: one buffer, transferred rather than copied. */
      readonly batches: ArrayBuffer;
      /** An earlier send this one waits for: sent once that one succeeded, failed unsent if it did not. */
      readonly after?: number;
    }
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
  private readonly pending = new Map<
    number,
    { resolve: () => void; reject: (e: Error) => void; readonly worker: Worker }
  >();

  constructor(private readonly data: ProducerThreadData) {}

  send(topicMessages: readonly TopicBatch[]): Promise<void> {
    return this.post(topicMessages).acked;
  }

  /**
   * Hands a batch to the thread at once. With `after` (an earlier post's id) the thread sends it as
   * soon as that batch is acknowledged, and fails it unsent if that batch failed.
   */
  post(
    topicMessages: readonly TopicBatch[],
    after?: number,
  ): { readonly id: number; readonly acked: Promise<void> } {
    const id = this.nextId++;
    const acked = this.request({
      id,
      kind: 'send',
      batches: encodeBatches(topicMessages),
      ...(after !== undefined && { after }),
    });
    return { id, acked };
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
      this.pending.set(message.id, { resolve, reject, worker });
      worker.ref();
      worker.postMessage(message, message.kind === 'send' ? [message.batches] : []);
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
    // Only this thread's requests: a thread that exits after its successor started must not fail
    // what the successor is sending.
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiting] of this.pending) {
        if (waiting.worker !== worker) continue;
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new ProducerThreadError('ProducerThreadExited', `exit code ${code}`, true)),
    );
    this.worker = worker;
    return worker;
  }
}

/** A record as kafkajs takes it, its bytes viewed in the buffer it came in. */
export interface DecodedMessage {
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
}

const NULL_LENGTH = 0xffffffff;

/**
 * Topic batches as one buffer for the producer thread: posting it moves its memory instead of
 * cloning thousands of small objects, and the thread hands kafkajs views into it. Layout, each
 * number a uint32 LE: the offset of the header-name table; topics; per topic its name, its message
 * count, then per message its key, its value (length 0xffffffff: null) and its headers (count, then
 * each one's index in the table and its value); at the end the table: count, then each name. Every
 * string and byte field is its length followed by its bytes (UTF-8 for strings).
 */
export function encodeBatches(batches: readonly TopicBatch[]): ArrayBuffer {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: an upper bound, and the buffer is cut to size.
  let bound = 12;
  const names = new Map<string, number>();
  for (const batch of batches) {
    bound += 8 + 3 * batch.topic.length;
    for (const m of batch.messages) {
      if (typeof m.key !== 'string')
        throw new TypeError(`a record for ${batch.topic} has a key that is not a string`);
      bound += 12 + 3 * m.key.length + (m.value?.byteLength ?? 0);
      for (const name in m.headers) {
        const value = m.headers[name];
        if (typeof value !== 'string') {
          throw new TypeError(`header ${name} of a record for ${batch.topic} is not a string`);
        }
        bound += 8 + 3 * value.length;
        if (!names.has(name)) {
          names.set(name, names.size);
          bound += 4 + 3 * name.length;
        }
      }
    }
  }
  const memory = new ArrayBuffer(bound);
  const out = Buffer.from(memory);
  let at = 4;
  const int = (n: number) => (at = out.writeUInt32LE(n, at));
  const text = (value: string) => {
    const length = out.write(value, at + 4);
    out.writeUInt32LE(length, at);
    at += 4 + length;
  };
  int(batches.length);
  for (const batch of batches) {
    text(batch.topic);
    int(batch.messages.length);
    for (const m of batch.messages) {
      text(m.key);
      if (m.value === null) int(NULL_LENGTH);
      else {
        int(m.value.byteLength);
        out.set(m.value, at);
        at += m.value.byteLength;
      }
      const headerNames = Object.keys(m.headers);
      int(headerNames.length);
      for (const name of headerNames) {
        int(names.get(name)!);
        text(m.headers[name]!);
      }
    }
  }
  out.writeUInt32LE(at, 0);
  int(names.size);
  for (const name of names.keys()) text(name);
  return memory.transfer(at);
}

/** The records `encodeBatches` wrote, as kafkajs takes them. */
export function decodeBatches(memory: ArrayBuffer): { topic: string; messages: DecodedMessage[] }[] {
  const input = Buffer.from(memory);
  let at = 0;
  const int = () => {
    const n = input.readUInt32LE(at);
    at += 4;
    return n;
  };
  const bytes = () => {
    const length = int();
    const view = input.subarray(at, at + length);
    at += length;
    return view;
  };
  const text = () => bytes().toString('utf8');
  at = int();
  const names = Array.from({ length: int() }, text);
  at = 4;
  return Array.from({ length: int() }, () => {
    const topic = text();
    const messages = Array.from({ length: int() }, (): DecodedMessage => {
      const key = bytes();
      const length = input.readUInt32LE(at);
      const value = length === NULL_LENGTH ? ((at += 4), null) : bytes();
      const headers: Record<string, Buffer> = {};
      for (let h = int(); h > 0; h--) {
        const name = names[int()]!;
        headers[name] = bytes();
      }
      return { key, value, headers };
    });
    return { topic, messages };
  });
}
