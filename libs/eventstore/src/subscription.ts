import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { inSpan, linksTo } from '@cancuoc/observability';
import type { Tx } from './database.js';
import { APPENDED_CHANNEL, type EventStore } from './event-store.js';
import { DEFAULT_SAFETY_POLL_MS, Follower } from './follower.js';
import { backlogOf } from './sql/backlog.js';
import { meter, tracer } from './telemetry.js';
import { START, type Checkpoint, type RecordedEvent } from './types.js';

export interface SubscriptionOptions {
  /** Durable name: the checkpoint is kept under it and survives restarts. */
  readonly name: string;
  /**
   * Handles one batch inside the transaction that also moves the checkpoint past it. A projection
   * in this database writes through `tx`, so its rows and the checkpoint commit together; an
   * external effect (a Kafka send) is at-least-once and must be idempotent at its receiver.
   */
  readonly handle: (events: readonly RecordedEvent[], tx: Tx) => Promise<void>;
  /** Only events of these types reach `handle`; the checkpoint still moves past the others. */
  readonly eventTypes?: readonly string[];
  readonly batchSize?: number;
  /**
   * Longest wait between reads when no NOTIFY arrives (a lost notification, a dropped listen
   * connection); 30 s by default: NOTIFY wakes the subscription, this is only the safety net.
   */
  readonly pollIntervalMs?: number;
  /** Longest pause after a failing batch; pauses grow from 50 ms up to this. */
  readonly maxBackoffMs?: number;
  /** Told about every failed batch; the batch is rolled back and retried after a pause. */
  readonly onError?: (error: unknown) => void;
}

/** The outcome of one batch: events read, or `busy` when another instance holds the subscription. */
export type BatchOutcome = { readonly read: number } | 'busy';

/**
 * Application-wide key space for the advisory locks that make a subscription single-consumer:
 * `pg_try_advisory_xact_lock(SUBSCRIPTION_LOCK_SPACE, hashtext(name))`.
 */
const SUBSCRIPTION_LOCK_SPACE = 0x4553;

/**
 * A durable, named reader of the global log: it catches up in batches, then waits for NOTIFY (or the
 * poll interval) to read again. Each batch runs in one transaction that first takes a transaction
 * advisory lock on the subscription, so several instances may run for availability but only one
 * processes at a time, and the next one resumes from the checkpoint the previous one committed.
 * Taking the lock assigns no transaction id, so an idle instance holds back no reader.
 */
export class Subscription {
  private readonly batchSize: number;
  private readonly eventTypes: ReadonlySet<string> | undefined;
  private readonly follower: Follower;
  private stopObserving: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: SubscriptionOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.eventTypes = options.eventTypes ? new Set(options.eventTypes) : undefined;
    this.follower = new Follower({
      db: store.db,
      channel: APPENDED_CHANNEL,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_SAFETY_POLL_MS,
      initialBackoffMs: 50,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      onError: options.onError,
      step: async () => {
        const outcome = await this.runOnce();
        return outcome === 'busy' ? 'idle' : { read: outcome.read, full: outcome.read >= this.batchSize };
      },
    });
  }

  get name(): string {
    return this.options.name;
  }

  /** The error of the last failed batch, until a batch succeeds. */
  get failure(): unknown {
    return this.follower.failure;
  }

  /** Makes sure the checkpoint row exists, so batches only ever update it. */
  async ensureCreated(): Promise<void> {
    await this.store.db.query(
      'INSERT INTO es_subscriptions (subscription_id) VALUES ($1) ON CONFLICT (subscription_id) DO NOTHING',
      [this.name],
    );
  }

  async checkpoint(): Promise<Checkpoint> {
    const rows = await this.store.db.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position::text AS pos
       FROM es_subscriptions WHERE subscription_id = $1`,
      [this.name],
    );
    const row = rows[0];
    return row ? { transactionId: BigInt(row.tx), position: BigInt(row.pos) } : START;
  }

  /** Processes at most one batch. */
  async runOnce(): Promise<BatchOutcome> {
    return this.store.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
        [SUBSCRIPTION_LOCK_SPACE, this.name],
      );
      if (!lock?.locked) return 'busy';
      const [row] = await tx.query<{ tx: string; pos: string }>(
        `SELECT transaction_id::text AS tx, global_position::text AS pos
         FROM es_subscriptions WHERE subscription_id = $1`,
        [this.name],
      );
      if (!row) throw new Error(`subscription ${this.name} was not created`);
      const after = { transactionId: BigInt(row.tx), position: BigInt(row.pos) };
      const { events, checkpoint } = await this.store.readAll({ after, limit: this.batchSize, tx });
      if (events.length === 0) return { read: 0 };
      const selected = this.eventTypes ? events.filter((e) => this.eventTypes!.has(e.type)) : events;
      if (selected.length > 0) await this.traced(selected, () => this.options.handle(selected, tx));
      await tx.query(
        `UPDATE es_subscriptions
         SET transaction_id = $2::text::xid8, global_position = $3::bigint, updated_at = now()
         WHERE subscription_id = $1`,
        [this.name, checkpoint.transactionId.toString(), checkpoint.position.toString()],
      );
      return { read: events.length };
    });
  }

  /**
   * A batch is the work of many requests, so its span starts a trace of its own, linked to the
   * span that appended each event (their `traceparent`): what the handler does runs in it.
   */
  private traced(events: readonly RecordedEvent[], handle: () => Promise<void>): Promise<void> {
    const span = tracer.startSpan(
      `Subscription ${this.name}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'cancuoc.subscription.name': this.name, 'cancuoc.eventstore.events': events.length },
        links: linksTo(events.map((e) => e.metadata.traceparent)),
      },
      ROOT_CONTEXT,
    );
    return inSpan(span, handle, ROOT_CONTEXT);
  }

  /** Catches up and keeps following the log until `stop()`. */
  async start(): Promise<void> {
    await this.ensureCreated();
    await this.follower.start();
    this.stopObserving ??= this.observeLag();
  }

  /** `cancuoc.projection.lag` and `.backlog` of this subscription, read at each collection. */
  private observeLag(): () => void {
    const attributes = { 'cancuoc.subscription.name': this.name };
    let reading: Promise<{ events: number; oldestAgeSeconds: number }> | undefined;
    // Both gauges are collected together: one query serves the two.
    const read = () => (reading ??= backlogOf(this.store.db, this.name).finally(() => (reading = undefined)));
    const stopLag = meter.observe('projectionLag', async (observe) =>
      observe((await read()).oldestAgeSeconds, attributes),
    );
    const stopBacklog = meter.observe('projectionBacklog', async (observe) =>
      observe((await read()).events, attributes),
    );
    return () => {
      stopLag();
      stopBacklog();
    };
  }

  /** Finishes the batch in progress, if any, and stops. */
  async stop(): Promise<void> {
    this.stopObserving?.();
    this.stopObserving = undefined;
    await this.follower.stop();
  }
}

/**
 * Moves the checkpoint of subscription `name` back to the start of the log, inside `tx`, so that
 * it replays every event (a projection rebuild). It first waits for the batch in progress, if any,
 * by taking the subscription's lock for the rest of `tx`: the batch that follows reads the
 * rewound checkpoint. Whatever the handler writes must therefore tolerate seeing events again.
 */
export async function rewindSubscription(tx: Tx, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SUBSCRIPTION_LOCK_SPACE, name]);
  const updated = await tx.query(
    `UPDATE es_subscriptions SET transaction_id = '0'::xid8, global_position = 0, updated_at = now()
     WHERE subscription_id = $1 RETURNING 1 AS rewound`,
    [name],
  );
  if (updated.length === 0) throw new Error(`subscription ${name} was not created`);
}
