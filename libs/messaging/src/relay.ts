import type { DescMessage, Message } from '@bufbuild/protobuf';
import { inSpan } from '@cancuoc/observability';
import {
  APPENDED_CHANNEL,
  START,
  Follower,
  backlogOf,
  checkpointOf,
  DEFAULT_SAFETY_POLL_MS,
  compareCheckpoints,
  type Checkpoint,
  type FollowStep,
  type ReadAllResult,
  type EventStore,
  type Leadership,
  type RecordedEvent,
} from '@cancuoc/eventstore';
import { toKafkaRecord } from './cloudevents.js';
import { meter, startSendSpan } from './telemetry.js';
import { sequenceOf, type OutgoingRecord, type PublishSequence, type Transport } from './transport.js';

/** Batches with the transport at once while the relay is behind: one on the wire, one handed over. */
const PUBLISH_AHEAD = 2;
/** Events read from the log per query, at least a batch: fewer round trips when batches are small. */
const READ_PAGE_EVENTS = 1_000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;

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
   * Events published together. At most two batches are with the transport unacknowledged (one on
   * the wire, the next handed over); the log is read 1,000 events (or a batch) per query.
   */
  readonly batchSize?: number;
  /**
   * While the relay is behind, the checkpoint is written at most this often (and always once it has
   * caught up): a crash re-sends what was acknowledged since. Default 100 ms.
   */
  readonly checkpointIntervalMs?: number;
  /** Longest wait when no NOTIFY arrives: the safety net for a lost one (30 s by default). */
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
 * crash between the acknowledgement and the checkpoint re-sends what was acknowledged since the last
 * checkpoint: at-least-once, with the duplicates absorbed by idempotent consumers. Batches go out one
 * at a time and in order, and at most two are with the transport, so a slow or absent broker holds
 * the relay back instead of filling memory. When the relay is behind, the next batch is handed over
 * while one is on the wire and the one after it is read and mapped, so that the broker, the database
 * and this process work side by side instead of in turn. Several instances may run; a session lock
 * lets one of them lead and the others wait to take over.
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
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_SAFETY_POLL_MS,
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
  private async publish(sequence: PublishSequence, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return sequence.publish(records);
    // Nothing may fail between taking a batch and handing it to the sequence: a batch that never
    // reached it would let the next one overtake it.
    let span: ReturnType<typeof startSendSpan> | undefined;
    try {
      span = startSendSpan(this.options.transport, records, { 'cancuoc.relay.name': this.options.name });
    } catch (error) {
      this.options.onError?.(error);
    }
    await (span ? inSpan(span, () => sequence.publish(records)) : sequence.publish(records));
    const perTopic = new Map<string, number>();
    for (const r of records) perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, count] of perTopic) {
      meter.add('recordsPublished', count, {
        'cancuoc.relay.name': this.options.name,
        'messaging.destination.name': topic,
      });
    }
  }

  /** Finishes the batches with the transport (published and checkpointed, or not at all) and stops. */
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
    const { total, full } = await this.relayBatches();
    return { read: total, full };
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
   * Reads, publishes and checkpoints batches until a read is not full (the relay has caught up) or
   * the relay stops; returns the number of events relayed and whether the last read was full.
   *
   * The log is read `READ_PAGE_EVENTS` events per query (the next page read while this one is
   * published) and mapped a batch at a time. While the relay is behind, up to `PUBLISH_AHEAD` batches
   * are with the transport at once, in one publish sequence: the next batch is handed over while the
   * one before it is on the wire, and goes out as soon as that one is acknowledged (in order, and
   * never past a batch that failed), while the batch after it is mapped. The checkpoint follows the acknowledgements, written at most
   * once per `checkpointIntervalMs` while behind and always when a catch-up ends: a crash re-sends at
   * most that interval's batches (at-least-once; consumers absorb the duplicates). Every checkpoint
   * has been written (or has failed) before this returns.
   */
  private async relayBatches(): Promise<{ total: number; full: boolean }> {
    const batchSize = this.options.batchSize ?? 500;
    const interval = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    const sequence = sequenceOf(this.options.transport);
    const handed: { readonly batch: Batch; readonly acked: Promise<void> }[] = [];
    let total = 0;
    let acked: Batch | undefined;
    let saved: Batch | undefined;
    let savedAt = performance.now();
    let checkpointing: Promise<void> = Promise.resolve();
    const save = async (batch: Batch) => {
      // The previous checkpoint must have held before a later one is written.
      await checkpointing;
      checkpointing = this.saveCheckpoint(batch);
      checkpointing.catch(() => undefined);
      saved = batch;
      savedAt = performance.now();
    };
    // Pages of the log, read one ahead while the relay is behind; mapped a batch at a time.
    const pageSize = Math.max(batchSize, READ_PAGE_EVENTS);
    const read = (after: Checkpoint) => {
      const page = this.options.store.readAll({ after, limit: pageSize });
      // Awaited on a later turn; a failure meanwhile must not go unhandled.
      page.catch(() => undefined);
      return page;
    };
    let reading: Promise<ReadAllResult> | undefined = read(this.position);
    let page: readonly RecordedEvent[] = [];
    let taken = 0;
    let full = false;
    const nextBatch = async (): Promise<Batch | undefined> => {
      // Stopping finishes what is with the transport; lost between two batches, the loop takes the
      // lead again, from the committed checkpoint.
      if (this.follower.stopping || !this.leadership) return undefined;
      if (taken === page.length) {
        if (!reading) return undefined;
        const result = await reading;
        reading = undefined;
        full = result.events.length >= pageSize;
        if (result.events.length === 0 || !this.leadership) return undefined;
        if (full && !this.follower.stopping) reading = read(result.checkpoint);
        page = result.events;
        taken = 0;
      }
      const events = page.slice(taken, taken + batchSize);
      taken += events.length;
      return this.mapEvents(events);
    };
    try {
      for (;;) {
        while (handed.length < PUBLISH_AHEAD) {
          const batch = await nextBatch();
          if (!batch) break;
          const published = this.publish(sequence, batch.records);
          published.catch(() => undefined);
          handed.push({ batch, acked: published });
        }
        const oldest = handed.shift();
        if (!oldest) {
          if (acked && acked !== saved) await save(acked);
          return { total, full };
        }
        await oldest.acked;
        if (!this.leadership) throw new Error(`relay ${this.options.name} lost its lead during a batch`);
        acked = oldest.batch;
        total += acked.events;
        this.published += acked.records.length;
        if (performance.now() - savedAt >= interval) await save(acked);
      }
    } finally {
      // Nothing outlives this call: a stopped relay's caller may close the database next.
      await reading?.catch(() => undefined);
      await Promise.allSettled(handed.map((h) => h.acked));
      // After a failure too, what was acknowledged is checkpointed, so that less is sent again.
      if (acked && acked !== saved) await save(acked).catch(() => undefined);
      await checkpointing;
    }
  }

  /** Maps consecutive events of the log to the records to publish. */
  private async mapEvents(events: readonly RecordedEvent[]): Promise<Batch> {
    const mapped =
      'mapBatch' in this.options ? await this.options.mapBatch(events) : events.map(this.options.map);
    const records = events.flatMap((event, i) => relayedRecords(event, mapped[i] ?? [], this.options.source));
    return { events: events.length, records, checkpoint: checkpointOf(events[events.length - 1]!) };
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
  }
}
