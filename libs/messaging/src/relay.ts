import type { DescMessage, Message } from '@bufbuild/protobuf';
import { inSpan } from '@cancuoc/observability';
import {
  APPENDED_CHANNEL,
  START,
  Follower,
  backlogOf,
  compareCheckpoints,
  type Checkpoint,
  type FollowStep,
  type EventStore,
  type Leadership,
  type RecordedEvent,
} from '@cancuoc/eventstore';
import { toKafkaRecord } from './cloudevents.js';
import { meter, startSendSpan } from './telemetry.js';
import type { OutgoingRecord, Transport } from './transport.js';

/** What a domain event becomes on the wire: an integration event on a topic. */
export interface IntegrationEvent {
  readonly topic: string;
  readonly schema: DescMessage;
  readonly data: Message;
  /** Record key and `ce_subject`; defaults to the event's stream id. */
  readonly subject?: string;
}

interface RelaySettings {
  /** Durable name; the relay's checkpoint is kept under it in `es_subscriptions`. */
  readonly name: string;
  /** `ce_source` of every event, e.g. `/cancuoc/registry`. */
  readonly source: string;
  readonly store: EventStore;
  readonly transport: Transport;
  /**
   * Events read and published together; until they are acknowledged the relay reads at most one
   * more batch.
   */
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly maxBackoffMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** A relay's settings and its mapping from domain events to integration events, one of two kinds. */
export type RelayOptions = RelaySettings &
  (
    | {
        /**
         * Maps a recorded domain event to the integration events it publishes: none for
         * internal-only events, one or more otherwise. Must be a pure function of the event, so a
         * re-sent event is the same record.
         */
        readonly map: (event: RecordedEvent) => readonly IntegrationEvent[];
      }
    | {
        /**
         * For mappings that need more than the event (the aggregate's state as of it, say): maps a
         * whole batch at once, one list of integration events per event, in order.
         */
        readonly mapBatch: (
          events: readonly RecordedEvent[],
        ) => Promise<readonly (readonly IntegrationEvent[])[]>;
      }
  );

export interface RelayStatus {
  readonly leading: boolean;
  readonly checkpoint: Checkpoint;
  readonly published: number;
  readonly failure: unknown;
}

/**
 * The records the relay sends for one recorded event and the integration events it maps to: the
 * CloudEvents attributes come from the event and its metadata.
 */
export function relayedRecords(
  event: RecordedEvent,
  outputs: readonly IntegrationEvent[],
  source: string,
): OutgoingRecord[] {
  return outputs.map((out, index) =>
    toKafkaRecord({
      topic: out.topic,
      schema: out.schema,
      data: out.data,
      // Stable across re-sends, so consumers recognise a duplicate; distinct per output.
      id: index === 0 ? event.eventId : `${event.eventId}.${index}`,
      source,
      time: event.recordedAt,
      subject: out.subject ?? event.streamId,
      traceparent: event.metadata.traceparent ?? undefined,
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId ?? undefined,
      sequence: event.streamVersion,
    }),
  );
}

/** A batch read from the log and mapped, ready to publish. */
interface Batch {
  /** Events read: the relay is behind when this is a full batch. */
  readonly events: number;
  readonly records: OutgoingRecord[];
  /** The last event read: the checkpoint once the records are acknowledged. */
  readonly checkpoint: Checkpoint;
}

/**
 * The outbox relay (decision 4): reads the event store's committed events in the gap-free global
 * order, publishes them, and moves its checkpoint only after the transport acknowledged them. A
 * crash between the acknowledgement and the checkpoint re-sends that batch: at-least-once, with the
 * duplicates absorbed by idempotent consumers. One batch is in flight at a time, so a slow or absent
 * broker holds the relay back instead of filling memory. While it is, and only when the relay is
 * behind, the next batch is read and mapped, and the previous batch's checkpoint written, so that the
 * broker, the database and this process work side by side instead of in turn. Several instances may
 * run; a session lock lets one of them lead and the others wait to take over.
 */
export class Relay {
  private readonly follower: Follower;
  private leadership: Leadership | undefined;
  private position: Checkpoint = START;
  private published = 0;
  private stopObserving: (() => void) | undefined;

  constructor(private readonly options: RelayOptions) {
    this.follower = new Follower({
      db: options.store.db,
      channel: APPENDED_CHANNEL,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      initialBackoffMs: 100,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      onError: options.onError,
      step: () => this.step(),
    });
  }

  get status(): RelayStatus {
    return {
      leading: this.leadership !== undefined,
      checkpoint: this.position,
      published: this.published,
      failure: this.follower.failure,
    };
  }

  async start(): Promise<void> {
    await this.options.store.db.query(
      'INSERT INTO es_subscriptions (subscription_id) VALUES ($1) ON CONFLICT (subscription_id) DO NOTHING',
      [this.options.name],
    );
    await this.follower.start();
    this.stopObserving ??= this.observeLag();
  }

  /**
   * `cancuoc.relay.lag` and `.backlog`, read at each collection by the leading instance (the others
   * would only repeat its figures): the events past the checkpoint, which moves only on acknowledgement.
   */
  private observeLag(): () => void {
    const attributes = { 'cancuoc.relay.name': this.options.name };
    let reading: Promise<{ events: number; oldestAgeSeconds: number }> | undefined;
    const read = () =>
      (reading ??= backlogOf(this.options.store.db, this.options.name).finally(() => (reading = undefined)));
    const stopLag = meter.observe('relayLag', async (observe) => {
      if (this.leadership) observe((await read()).oldestAgeSeconds, attributes);
    });
    const stopBacklog = meter.observe('outboxBacklog', async (observe) => {
      if (this.leadership) observe((await read()).events, attributes);
    });
    return () => {
      stopLag();
      stopBacklog();
    };
  }

  /** Publishes one batch in a PRODUCER span; counts the records per topic once acknowledged. */
  private async publish(records: readonly OutgoingRecord[]): Promise<void> {
    const span = startSendSpan(this.options.transport, records, { 'cancuoc.relay.name': this.options.name });
    await inSpan(span, () => this.options.transport.publish(records));
    const perTopic = new Map<string, number>();
    for (const r of records) perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, count] of perTopic) {
      meter.add('recordsPublished', count, {
        'cancuoc.relay.name': this.options.name,
        'messaging.destination.name': topic,
      });
    }
  }

  /** Finishes the batch in flight (published and checkpointed, or not at all) and stops. */
  async stop(): Promise<void> {
    this.stopObserving?.();
    this.stopObserving = undefined;
    await this.follower.stop();
    await this.leadership?.release();
    this.leadership = undefined;
  }

  /** One turn of the loop: lead, then relay until caught up. */
  private async step(): Promise<FollowStep> {
    if (!(await this.lead())) return 'idle';
    const read = await this.relayBatches();
    return { read: read.total, full: read.last >= (this.options.batchSize ?? 500) };
  }

  /** Takes or keeps the lead; on taking it, resumes from the committed checkpoint. */
  private async lead(): Promise<boolean> {
    if (this.leadership) return true;
    const leadership = await this.options.store.db.tryLead(`relay:${this.options.name}`);
    if (!leadership) return false;
    void leadership.lost.then(() => {
      if (this.leadership === leadership) this.leadership = undefined;
    });
    this.position = await this.loadCheckpoint();
    this.leadership = leadership;
    return true;
  }

  private async loadCheckpoint(): Promise<Checkpoint> {
    const [row] = await this.options.store.db.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position::text AS pos
       FROM es_subscriptions WHERE subscription_id = $1`,
      [this.options.name],
    );
    return row ? { transactionId: BigInt(row.tx), position: BigInt(row.pos) } : START;
  }

  /**
   * Reads, publishes and checkpoints batches until one is not full (the relay has caught up) or the
   * relay stops; returns the number of events relayed and the number read by the last read. Batches
   * are published one at a time and in order; each batch's checkpoint is written once it is
   * acknowledged, while the next batch is published, and every checkpoint is written (or has failed)
   * before this returns.
   */
  private async relayBatches(): Promise<{ total: number; last: number }> {
    const batchSize = this.options.batchSize ?? 500;
    let total = 0;
    let checkpointing: Promise<void> = Promise.resolve();
    let next = this.readBatch(this.position, batchSize);
    try {
      for (;;) {
        const batch = await next;
        if (batch.events === 0) return { total, last: 0 };
        // Lost between two batches: the loop takes the lead again, from the committed checkpoint.
        if (!this.leadership) return { total, last: batch.events };
        const behind = batch.events >= batchSize;
        if (behind) {
          next = this.readBatch(batch.checkpoint, batchSize);
          // Awaited on the next turn; a failure while this batch is published must not go unhandled.
          next.catch(() => undefined);
        }
        if (batch.records.length > 0) await this.publish(batch.records);
        if (!this.leadership) throw new Error(`relay ${this.options.name} lost its lead during a batch`);
        // The previous batch's checkpoint, written while this batch was published, must have held.
        await checkpointing;
        checkpointing = this.saveCheckpoint(batch);
        checkpointing.catch(() => undefined);
        total += batch.events;
        if (!behind || this.follower.stopping) return { total, last: batch.events };
      }
    } finally {
      // Nothing outlives this call: a stopped relay's caller may close the database next.
      await next.catch(() => undefined);
      await checkpointing;
    }
  }

  /** Reads the events after `after` and maps them to the records to publish. */
  private async readBatch(after: Checkpoint, limit: number): Promise<Batch> {
    const { events, checkpoint } = await this.options.store.readAll({ after, limit });
    const mapped =
      'mapBatch' in this.options ? await this.options.mapBatch(events) : events.map(this.options.map);
    const records = events.flatMap((event, i) => relayedRecords(event, mapped[i] ?? [], this.options.source));
    return { events: events.length, records, checkpoint };
  }

  /** Moves the committed checkpoint to the end of `batch`, whose records are acknowledged. */
  private async saveCheckpoint(batch: Batch): Promise<void> {
    const { checkpoint } = batch;
    await this.options.store.db.query(
      `UPDATE es_subscriptions
       SET transaction_id = $2::text::xid8, global_position = $3::bigint, updated_at = now()
       WHERE subscription_id = $1 AND (transaction_id, global_position) < ($2::text::xid8, $3::bigint)`,
      [this.options.name, checkpoint.transactionId.toString(), checkpoint.position.toString()],
    );
    if (compareCheckpoints(checkpoint, this.position) > 0) this.position = checkpoint;
    this.published += batch.records.length;
  }
}
