import type { DescMessage } from '@bufbuild/protobuf';
import { context, trace, type Span } from '@opentelemetry/api';
import { contextOfTraceparent, errorTypeOf, failSpan, inSpan } from '@cancuoc/observability';
import type { Database, Tx } from '@cancuoc/eventstore';
import { fromKafkaRecord, PoisonRecordError, type CloudEvent } from './cloudevents.js';
import { deadLetterTopic, toDeadLetter } from './dead-letters.js';
import { deadLetterDepth } from './redrive.js';
import { meter, startProcessSpan, startSendSpan } from './telemetry.js';
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
  /**
   * Report `cancuoc.dlq.depth` for each topic's dead-letter topic at every metric collection, from
   * the transport's offsets (a few admin requests). Default true.
   */
  readonly observeDeadLetters?: boolean;
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
  private stopObserving: (() => void) | undefined;

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
    if (this.options.observeDeadLetters ?? true) this.stopObserving ??= this.observeDeadLetters();
  }

  /**
   * `cancuoc.dlq.depth` per topic: records in `<topic>.dlq` past the position of the redrive group
   * for this subscriber (or the one for all subscribers, whichever went further). A dead-letter
   * topic is shared by the topic's subscribers, so where several consume a topic this counts their
   * dead letters too: an upper bound, exact for a topic with one subscriber.
   */
  private observeDeadLetters(): () => void {
    return meter.observe('deadLetterDepth', async (observe) => {
      for (const topic of this.options.topics) {
        const dlq = deadLetterTopic(topic);
        const depth = await this.deadLetterDepth(dlq).catch(() => undefined);
        if (depth === undefined) continue;
        observe(depth, {
          'messaging.destination.name': dlq,
          'messaging.consumer.group.name': this.options.subscriber,
        });
      }
    });
  }

  private deadLetterDepth(dlq: string): Promise<number> {
    return deadLetterDepth(this.options.transport, dlq, this.options.subscriber);
  }

  /** The consumer group and the inbox rows' subscriber. */
  get subscriber(): string {
    return this.options.subscriber;
  }

  /** The topics consumed. */
  get topics(): readonly string[] {
    return this.options.topics;
  }

  async stop(): Promise<void> {
    this.stopObserving?.();
    this.stopObserving = undefined;
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

  /**
   * Each new event is handled in a process span of its own, child of its record's traceparent; the
   * spans end when the slice commits (or rolls back). An event's `messaging.process.duration` is
   * its handler's time plus its share of the slice's inbox insert and commit.
   */
  private async applyAll(
    events: readonly CloudEvent[],
    records: readonly IncomingRecord[],
  ): Promise<{ processed: number; duplicates: number }> {
    const started = performance.now();
    const handled: { span: Span; record: IncomingRecord; ms: number }[] = [];
    try {
      const outcome = await this.options.db.transaction(async (tx) => {
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
          const record = records[i]!;
          const { span, parent } = startProcessSpan(this.options.transport, this.options.subscriber, record);
          const handlerStarted = performance.now();
          handled.push({ span, record, ms: 0 });
          await context.with(trace.setSpan(parent, span), () => this.options.handle(event, tx, record));
          handled[handled.length - 1]!.ms = performance.now() - handlerStarted;
          processed += 1;
        }
        return { processed, duplicates: events.length - processed };
      });
      const handlersMs = handled.reduce((sum, h) => sum + h.ms, 0);
      const shareMs = (performance.now() - started - handlersMs) / Math.max(1, handled.length);
      for (const h of handled) {
        h.span.end();
        this.recordProcessing(h.record, (h.ms + shareMs) / 1000);
      }
      return outcome;
    } catch (error) {
      // Rolled back whole; the records are taken again one at a time, each measured then.
      for (const h of handled) {
        failSpan(h.span, errorTypeOf(error));
        h.span.end();
      }
      throw error;
    }
  }

  private recordProcessing(record: IncomingRecord, seconds: number, errorType?: string): void {
    meter.record('consumerProcessDuration', seconds, {
      'messaging.destination.name': record.topic,
      'messaging.consumer.group.name': this.options.subscriber,
      ...(errorType !== undefined && { 'error.type': errorType }),
    });
  }

  private async deliver(record: IncomingRecord, context: DeliveryContext): Promise<void> {
    let event: CloudEvent;
    try {
      event = fromKafkaRecord(record, this.options.types);
    } catch (error) {
      // Retrying cannot make a malformed record readable.
      await this.deadLetter(record, error, 1, 'undecodable');
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
          await this.deadLetter(record, error, attempt, 'handler');
          return;
        }
        const initial = this.options.initialBackoffMs ?? 100;
        await sleep(Math.min(initial * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 5_000));
        await context.heartbeat();
      }
    }
  }

  /** One attempt: inbox row and effect in one transaction, in a process span and measured. */
  private async applyOnce(event: CloudEvent, record: IncomingRecord): Promise<'processed' | 'duplicate'> {
    const { span, parent } = startProcessSpan(this.options.transport, this.options.subscriber, record);
    const started = performance.now();
    try {
      const outcome = await inSpan(
        span,
        () =>
          this.options.db.transaction(async (tx) => {
            const inserted = await tx.query(
              `INSERT INTO msg_inbox (subscriber, event_id, topic) VALUES ($1, $2, $3)
               ON CONFLICT (subscriber, event_id) DO NOTHING RETURNING 1 AS inserted`,
              [this.options.subscriber, event.id, record.topic],
            );
            if (inserted.length === 0) return 'duplicate' as const;
            await this.options.handle(event, tx, record);
            return 'processed' as const;
          }),
        parent,
      );
      this.recordProcessing(record, (performance.now() - started) / 1000);
      return outcome;
    } catch (error) {
      this.recordProcessing(record, (performance.now() - started) / 1000, errorTypeOf(error));
      throw error;
    }
  }

  /**
   * Resolves once the dead letter is acknowledged; throws (so the record comes again) if not. The
   * send is a span in the record's trace, so the trace shows where its event ended up.
   */
  private async deadLetter(
    record: IncomingRecord,
    error: unknown,
    attempts: number,
    reason: 'undecodable' | 'handler',
  ): Promise<void> {
    const letter = toDeadLetter(record, this.options.subscriber, error, attempts);
    const parent = contextOfTraceparent(record.headers.traceparent);
    const span = startSendSpan(
      this.options.transport,
      [letter],
      { 'messaging.consumer.group.name': this.options.subscriber, 'cancuoc.dead_letter.reason': reason },
      parent,
    );
    await inSpan(span, () => this.options.transport.publish([letter]), parent);
    this.stats.deadLettered += 1;
    meter.add('deadLettered', 1, {
      'messaging.destination.name': record.topic,
      'messaging.consumer.group.name': this.options.subscriber,
      'cancuoc.dead_letter.reason': reason,
    });
    this.options.onError?.(error, record);
  }
}
