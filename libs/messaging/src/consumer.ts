import type { DescMessage } from '@bufbuild/protobuf';
import type { Database, Tx } from '@cancuoc/eventstore';
import { fromKafkaRecord, PoisonRecordError, type CloudEvent } from './cloudevents.js';
import { toDeadLetter } from './dead-letters.js';
import {
  DEFAULT_MAX_BATCH_SIZE,
  type DeliveryContext,
  type IncomingRecord,
  type Transport,
  type TransportSubscription,
} from './transport.js';

export interface ConsumerOptions {
  /** Names the consumer group and the inbox rows: one per logical subscriber, stable forever. */
  readonly subscriber: string;
  readonly transport: Transport;
  /** The database the effects are written to; it holds the inbox (`inboxMigrations`). */
  readonly db: Database;
  readonly topics: readonly string[];
  /** Payload types this subscriber understands, by full Protobuf name (see `payloadRegistry`). */
  readonly types: ReadonlyMap<string, DescMessage>;
  /**
   * The effect of one event, written through `tx`: it commits together with the inbox row, or not
   * at all. An event already in the inbox never reaches it again.
   */
  readonly handle: (event: CloudEvent, tx: Tx, record: IncomingRecord) => Promise<void>;
  /** Attempts before a failing event goes to the dead-letter topic. */
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Where a new group starts; existing groups resume from their committed offsets. */
  readonly fromBeginning?: boolean;
  /**
   * Records of one partition taken into one transaction: their inbox rows and effects commit
   * together. If any of them fails, that transaction rolls back and the records are taken one at a
   * time, with retries and dead-lettering for the one that fails. 1 means a transaction per event.
   */
  readonly maxBatchSize?: number;
  /** Partitions handled at once (each in its own transactions, in order within a partition). */
  readonly concurrency?: number;
  /**
   * How long inbox rows are kept. A record can only come again while its topic still holds it, so
   * this must exceed the retention of every topic consumed (7 days in the catalogue). Default 14 days.
   */
  readonly inboxRetentionMs?: number;
  /** How often a running consumer prunes its inbox rows past retention. Default hourly. */
  readonly pruneIntervalMs?: number;
  /** Told about each failed attempt and each dead letter (error only: no payload, no personal data). */
  readonly onError?: (error: unknown, record: IncomingRecord) => void;
}

export interface ConsumerStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
  failedAttempts: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const HOUR_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 10_000;
/** What `onError` is told a pruning failure concerns: no record. */
const PRUNE_RECORD: IncomingRecord = {
  topic: '',
  partition: -1,
  offset: -1n,
  key: '',
  value: null,
  headers: {},
};

/**
 * A consumer group member whose effects happen exactly once (decision 4): each event's effect and
 * its inbox row (subscriber, event id) commit in one transaction, so a redelivered event, after a
 * crash before the offset commit or a duplicate from the relay, finds its row and is skipped. An
 * event that keeps failing is retried with backoff a bounded number of times, then sent with the
 * error to `<topic>.dlq`, and the partition moves on.
 */
export class IdempotentConsumer {
  readonly stats: ConsumerStats = { processed: 0, duplicates: 0, deadLettered: 0, failedAttempts: 0 };
  private subscription: TransportSubscription | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConsumerOptions) {}

  async start(): Promise<void> {
    if (this.subscription) return;
    this.pruneTimer = setInterval(
      () => void this.pruneInbox().catch((error: unknown) => this.options.onError?.(error, PRUNE_RECORD)),
      this.options.pruneIntervalMs ?? HOUR_MS,
    );
    this.pruneTimer.unref();
    this.subscription = await this.options.transport.subscribe({
      group: this.options.subscriber,
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
      concurrency: this.options.concurrency,
      maxBatchSize: this.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      handleBatch: (records, context) => this.deliverBatch(records, context),
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /**
   * Deletes this subscriber's inbox rows older than the retention, a bounded batch per statement so
   * that no long transaction holds back the readers of the event store; the number deleted.
   */
  async pruneInbox(now: Date = new Date()): Promise<number> {
    const before = new Date(now.getTime() - (this.options.inboxRetentionMs ?? 14 * 24 * HOUR_MS));
    let total = 0;
    for (;;) {
      const deleted = await this.options.db.query(
        `DELETE FROM msg_inbox WHERE ctid IN (
           SELECT ctid FROM msg_inbox WHERE subscriber = $1 AND processed_at < $2 LIMIT $3)
         RETURNING 1`,
        [this.options.subscriber, before.toISOString(), PRUNE_BATCH],
      );
      total += deleted.length;
      if (deleted.length < PRUNE_BATCH) return total;
    }
  }

  /**
   * The whole batch in one transaction when every record decodes and every effect succeeds — the
   * common case, one commit instead of one per event; otherwise record by record, so that only the
   * failing record is retried and dead-lettered and the others take effect.
   */
  private async deliverBatch(records: readonly IncomingRecord[], context: DeliveryContext): Promise<void> {
    if (records.length > 1) {
      const events: CloudEvent[] = [];
      try {
        for (const record of records) events.push(fromKafkaRecord(record, this.options.types));
      } catch {
        events.length = 0;
      }
      if (events.length === records.length) {
        const outcome = await this.applyAll(events, records).catch(() => undefined);
        if (outcome) {
          this.stats.processed += outcome.processed;
          this.stats.duplicates += outcome.duplicates;
          return;
        }
      }
    }
    for (const record of records) await this.deliver(record, context);
  }

  private applyAll(
    events: readonly CloudEvent[],
    records: readonly IncomingRecord[],
  ): Promise<{ processed: number; duplicates: number }> {
    return this.options.db.transaction(async (tx) => {
      const fresh = await tx.query<{ event_id: string }>(
        `INSERT INTO msg_inbox (subscriber, event_id, topic)
         SELECT $1, u.event_id, u.topic FROM unnest($2::text[], $3::text[]) AS u(event_id, topic)
         ON CONFLICT (subscriber, event_id) DO NOTHING RETURNING event_id`,
        [this.options.subscriber, events.map((e) => e.id), records.map((r) => r.topic)],
      );
      const pending = new Set(fresh.map((row) => row.event_id));
      let processed = 0;
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        // A relay re-send can put the same event twice in one batch: only its first copy is new.
        if (!pending.delete(event.id)) continue;
        await this.options.handle(event, tx, records[i]!);
        processed += 1;
      }
      return { processed, duplicates: events.length - processed };
    });
  }

  private async deliver(record: IncomingRecord, context: DeliveryContext): Promise<void> {
    let event: CloudEvent;
    try {
      event = fromKafkaRecord(record, this.options.types);
    } catch (error) {
      // Retrying cannot make a malformed record readable.
      await this.deadLetter(record, error, 1);
      return;
    }
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.applyOnce(event, record);
        if (outcome === 'duplicate') this.stats.duplicates += 1;
        else this.stats.processed += 1;
        return;
      } catch (error) {
        this.stats.failedAttempts += 1;
        this.options.onError?.(error, record);
        if (attempt >= maxAttempts || error instanceof PoisonRecordError) {
          await this.deadLetter(record, error, attempt);
          return;
        }
        const initial = this.options.initialBackoffMs ?? 100;
        await sleep(Math.min(initial * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 5_000));
        await context.heartbeat();
      }
    }
  }

  private applyOnce(event: CloudEvent, record: IncomingRecord): Promise<'processed' | 'duplicate'> {
    return this.options.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO msg_inbox (subscriber, event_id, topic) VALUES ($1, $2, $3)
         ON CONFLICT (subscriber, event_id) DO NOTHING RETURNING 1 AS inserted`,
        [this.options.subscriber, event.id, record.topic],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.options.handle(event, tx, record);
      return 'processed';
    });
  }

  /** Resolves once the dead letter is acknowledged; throws (so the record comes again) if not. */
  private async deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<void> {
    await this.options.transport.publish([toDeadLetter(record, this.options.subscriber, error, attempts)]);
    this.stats.deadLettered += 1;
    this.options.onError?.(error, record);
  }
}
