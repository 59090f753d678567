import type { Tx } from './database.js';
import { APPENDED_CHANNEL, type EventStore } from './event-store.js';
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
  /** Longest wait between reads when no NOTIFY arrives (a dropped listen connection, say). */
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * A durable, named reader of the global log: it catches up in batches, then waits for NOTIFY (or the
 * poll interval) to read again. Each batch runs in one transaction that first takes a transaction
 * advisory lock on the subscription, so several instances may run for availability but only one
 * processes at a time, and the next one resumes from the checkpoint the previous one committed.
 * Taking the lock assigns no transaction id, so an idle instance holds back no reader.
 */
export class Subscription {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly eventTypes: ReadonlySet<string> | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private notified = false;
  private wake: (() => void) | undefined;
  private lastError: unknown;

  constructor(
    private readonly store: EventStore,
    private readonly options: SubscriptionOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.eventTypes = options.eventTypes ? new Set(options.eventTypes) : undefined;
  }

  get name(): string {
    return this.options.name;
  }

  /** The error of the last failed batch, until a batch succeeds. */
  get failure(): unknown {
    return this.lastError;
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
      if (selected.length > 0) await this.options.handle(selected, tx);
      await tx.query(
        `UPDATE es_subscriptions
         SET transaction_id = $2::text::xid8, global_position = $3::bigint, updated_at = now()
         WHERE subscription_id = $1`,
        [this.name, checkpoint.transactionId.toString(), checkpoint.position.toString()],
      );
      return { read: events.length };
    });
  }

  /** Catches up and keeps following the log until `stop()`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    await this.ensureCreated();
    const unlisten = await this.store.db.listen(APPENDED_CHANNEL, () => this.notify());
    this.running = this.loop().finally(() => unlisten());
  }

  /** Finishes the batch in progress, if any, and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.running;
    this.running = undefined;
  }

  private notify(): void {
    this.notified = true;
    this.wake?.();
  }

  private async waitForWake(timeoutMs: number): Promise<void> {
    if (this.notified || this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    // A NOTIFY can arrive while an older transaction is still open; its events stay invisible to
    // the ordered read until that one ends, so an empty read after a wake-up is retried soon.
    let settleDelay = 0;
    while (!this.stopping) {
      const wokenByNotify = this.notified;
      this.notified = false;
      let outcome: BatchOutcome;
      try {
        outcome = await this.runOnce();
        failures = 0;
        this.lastError = undefined;
      } catch (error) {
        failures += 1;
        this.lastError = error;
        this.options.onError?.(error);
        await sleep(Math.min(50 * 2 ** (failures - 1), this.maxBackoffMs));
        continue;
      }
      const read = outcome === 'busy' ? undefined : outcome.read;
      if (read !== undefined && read >= this.batchSize) continue;
      if (read === 0 && wokenByNotify) {
        // The events we were woken for are still behind the horizon: look again soon, then less often.
        settleDelay = Math.min(Math.max(settleDelay * 2, 10), this.pollIntervalMs);
        await this.waitForWake(settleDelay);
        this.notified = true;
        continue;
      }
      settleDelay = 0;
      await this.waitForWake(this.pollIntervalMs);
    }
  }
}
