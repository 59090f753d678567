/**
 * What services need from an event transport: Kafka in production, a durable log in the service's
 * own database for the embedded default. Both keep the same promises, checked by one contract suite
 * (test-support/transport-contract.ts):
 * - `publish` resolves only once every record is durably stored (Kafka: acknowledged by all in-sync
 *   replicas); records with the same topic and key keep their order, within and across calls;
 * - a consumer group sees every record of its topics at least once, each partition in order, and
 *   resumes after its last committed record; different groups each see every record.
 */
export interface Transport {
  /** `kafka` or `in-process`, for logs and metrics. */
  readonly kind: string;
  publish(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * A sequence of publishes for a caller that hands over the next batch before the previous one is
   * acknowledged (the relay). Optional: `sequenceOf` chains `publish` calls for a transport without
   * one; the Kafka transport's producer thread sends the next batch as soon as the previous one is
   * acknowledged, without a round trip to the caller's thread in between.
   */
  sequence?(): PublishSequence;
  subscribe(options: SubscribeOptions): Promise<TransportSubscription>;
  /** The offset the next record of each partition of `topic` will get (Kafka's high watermark). */
  endOffsets(topic: string): Promise<ReadonlyMap<number, bigint>>;
  /** The next offset `group` will read from each partition of `topic`; partitions never read are absent. */
  committedOffsets(group: string, topic: string): Promise<ReadonlyMap<number, bigint>>;
  close(): Promise<void>;
}

/**
 * Publishes in call order, one batch at a time: each `publish` resolves once its records are
 * acknowledged, and a batch goes out only after the one before it was. The first failure breaks the
 * sequence: it and every later batch reject, and those later batches are never sent, so nothing
 * overtakes a batch that failed. Callers bound how many batches they hand over unacknowledged.
 */
export interface PublishSequence {
  publish(records: readonly OutgoingRecord[]): Promise<void>;
}

/** The sequence a transport offers, or its `publish` calls chained one after the other. */
export function sequenceOf(transport: Transport): PublishSequence {
  return transport.sequence?.() ?? chainedSequence((records) => transport.publish(records));
}

/** A sequence over any `publish`: each call starts once the one before it resolved. */
export function chainedSequence(
  publish: (records: readonly OutgoingRecord[]) => Promise<void>,
): PublishSequence {
  let tail: Promise<void> = Promise.resolve();
  return {
    publish(records) {
      const sent = tail.then(() => publish(records));
      tail = sent;
      sent.catch(() => undefined);
      return sent;
    },
  };
}

export interface OutgoingRecord {
  readonly topic: string;
  /** Records with the same key land in the same partition, in order. */
  readonly key: string;
  /** `null` is a tombstone on a compacted topic. */
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface IncomingRecord extends OutgoingRecord {
  readonly partition: number;
  readonly offset: bigint;
}

export interface DeliveryContext {
  /** Tells the group this member is alive during long handling (Kafka drops silent members). */
  heartbeat(): Promise<void>;
}

interface SubscribeCommon {
  /** Consumer group: its members share the partitions, and its committed offsets survive restarts. */
  readonly group: string;
  readonly topics: readonly string[];
  /** Where a group that has never committed starts: the oldest record, or only new ones. */
  readonly fromBeginning?: boolean;
  /**
   * Partitions handled at once by this member (kafkajs `partitionsConsumedConcurrently`); records
   * of one partition are always handled in order. The in-process transport handles one at a time.
   */
  readonly concurrency?: number;
  /** Told about every failed delivery attempt. */
  readonly onError?: (error: unknown) => void;
}

/** Record by record. */
export interface SubscribeEach extends SubscribeCommon {
  /**
   * Called for each record in partition order. When it resolves the record counts as consumed and
   * its offset is committed (after the batch at the latest). When it throws, the record and those
   * after it are delivered again later: handlers must be idempotent, and the idempotent consumer
   * (consumer.ts) is how services make them so.
   */
  readonly handle: (record: IncomingRecord, context: DeliveryContext) => Promise<void>;
  readonly handleBatch?: never;
}

/** A batch at a time, so that a consumer can take effect for many records in one transaction. */
export interface SubscribeBatches extends SubscribeCommon {
  /**
   * Called with consecutive records of one partition, in order (at most `maxBatchSize`). When it
   * resolves they all count as consumed; when it throws none of them does, and they come again.
   */
  readonly handleBatch: (records: readonly IncomingRecord[], context: DeliveryContext) => Promise<void>;
  readonly maxBatchSize?: number;
  readonly handle?: never;
}

export type SubscribeOptions = SubscribeEach | SubscribeBatches;

/** Default largest batch handed to `handleBatch`. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

/** Calls `handleBatch` once per slice of at most `maxBatchSize` records, or `handle` per record; how many were handled. */
export async function deliverInOrder(
  options: SubscribeOptions,
  records: readonly IncomingRecord[],
  context: DeliveryContext,
  onHandled: (last: IncomingRecord) => void,
  proceed: () => boolean,
): Promise<void> {
  if (options.handleBatch) {
    const size = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
    for (let i = 0; i < records.length && proceed(); i += size) {
      const slice = records.slice(i, i + size);
      await options.handleBatch(slice, context);
      onHandled(slice[slice.length - 1]!);
    }
    return;
  }
  for (const record of records) {
    if (!proceed()) return;
    await options.handle(record, context);
    onHandled(record);
  }
}

export interface TransportSubscription {
  /** Finishes the record in hand, commits what was consumed and leaves the group. */
  stop(): Promise<void>;
}

export class UnknownTopicError extends Error {
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist; topics are created from the catalogue`);
    this.name = 'UnknownTopicError';
  }
}
