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
  subscribe(options: SubscribeOptions): Promise<TransportSubscription>;
  /** The offset the next record of each partition of `topic` will get (Kafka's high watermark). */
  endOffsets(topic: string): Promise<ReadonlyMap<number, bigint>>;
  /** The next offset `group` will read from each partition of `topic`; partitions never read are absent. */
  committedOffsets(group: string, topic: string): Promise<ReadonlyMap<number, bigint>>;
  close(): Promise<void>;
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

export interface SubscribeOptions {
  /** Consumer group: its members share the partitions, and its committed offsets survive restarts. */
  readonly group: string;
  readonly topics: readonly string[];
  /** Where a group that has never committed starts: the oldest record, or only new ones. */
  readonly fromBeginning?: boolean;
  /**
   * Called for each record in partition order. When it resolves the record counts as consumed and
   * its offset is committed (after the batch at the latest). When it throws, the record and those
   * after it are delivered again later: handlers must be idempotent, and the idempotent consumer
   * (consumer.ts) is how services make them so.
   */
  readonly handle: (record: IncomingRecord, context: DeliveryContext) => Promise<void>;
  /** Told about every failed delivery attempt. */
  readonly onError?: (error: unknown) => void;
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
