import { APPENDED_CHANNEL, Follower, newEventId, type Database } from '@cancuoc/eventstore';
import { errorTypeOf, failSpan, traceparentOf } from '@cancuoc/observability';
import { SpanKind, type Span } from '@opentelemetry/api';
import { CardRuleViolationError } from '../domain/card/errors.js';
import type { ChipFiles } from '../domain/personalisation/chip-image.js';
import type { CardJobs } from './card-jobs.js';
import { decodeChipFiles } from './chip-builder.js';
import type { AuditLog, AuditRecord } from '@cancuoc/audit';
import { SERVICE_ACTOR as ACTOR } from './actor.js';
import { auditRecords } from './audit-records.js';
import type { CardVault, Clock, LeaseBoard } from './ports.js';
import { cardTraceparents, startCardSpan, within } from './telemetry.js';

/** Jobs leased per transaction. */
const BATCH = 64;

/** A card as it goes out to a station. */
export interface DispatchedJob {
  readonly cardId: string;
  readonly leaseId: string;
  readonly deadline: string;
  readonly attempt: number;
  readonly priority: number;
  readonly files: ChipFiles;
  /**
   * The dispatch span's `traceparent`, in the card's trace: the station sends it back with its
   * settlement (CompleteJob, FailJob), which so joins the application's trace.
   */
  readonly traceparent?: string;
}

/** A station's open job stream on this instance. */
export interface StationSession {
  readonly stationId: string;
  readonly capacity: number;
  /** Writes the job to the stream; rejects when the stream is gone. */
  send(job: DispatchedJob): Promise<void>;
  /** Ends the stream (a newer one of the same station replaced it). */
  close(): void;
}

export interface DispatcherOptions {
  readonly db: Database;
  readonly jobs: CardJobs;
  readonly vault: CardVault;
  readonly audit: AuditLog;
  readonly board: LeaseBoard;
  readonly clock: Clock;
  readonly pollMs: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Hands queued jobs to the stations whose streams this instance holds: highest priority first, then
 * oldest, round robin over the stations with room. A station has room while it holds fewer
 * unsettled leases than it announced, counting those from earlier streams and other instances,
 * since the leases are read from `cp_jobs`. Each job is leased in its own transaction (`SKIP LOCKED`
 * picks a row no other instance is leasing; the stream's expected version makes a double lease
 * impossible), and only after the commit is it sent; a send that fails gives the lease back at once.
 */
export class Dispatcher {
  private readonly sessions = new Map<string, StationSession>();
  private readonly sending = new Set<Promise<void>>();
  /** The open `CardProduction.dispatch` span of each leased job, by lease, until it is sent. */
  private readonly spans = new Map<string, Span>();
  private readonly loop: Follower;
  /** Set by a round that had room but found no job ready: until the first held-back job is due. */
  private idleFor: number | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.loop = new Follower({
      db: options.db,
      channel: APPENDED_CHANNEL,
      pollIntervalMs: options.pollMs,
      initialBackoffMs: 100,
      maxBackoffMs: 5_000,
      onError: options.onError,
      step: async () => {
        const sent = await this.round();
        if (sent > 0) return { read: sent, full: true };
        // Nothing was ready; a job held back (`not_before`) is due at a time, not on a NOTIFY.
        const dueInMs = this.idleFor;
        this.idleFor = undefined;
        return dueInMs === undefined ? 'idle' : { dueInMs };
      },
    });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled(this.sending);
  }

  wake(): void {
    this.loop.notify();
  }

  get connected(): number {
    return this.sessions.size;
  }

  /** Adds a station's stream; returns what to call when the stream ends. */
  attach(session: StationSession): () => void {
    const previous = this.sessions.get(session.stationId);
    this.sessions.set(session.stationId, session);
    if (previous && previous !== session) previous.close();
    void this.options.board.stationConnected(session.stationId);
    this.wake();
    return () => {
      if (this.sessions.get(session.stationId) !== session) return;
      this.sessions.delete(session.stationId);
      void this.options.board.stationDisconnected(session.stationId);
    };
  }

  /** One pass over the stations with room: how many jobs it sent. */
  private async round(): Promise<number> {
    if (this.sessions.size === 0) return 0;
    const held = await this.heldLeases([...this.sessions.keys()]);
    const room = new Map(
      [...this.sessions.values()].map((s) => [s, s.capacity - (held.get(s.stationId) ?? 0)]),
    );
    // The free slots, round robin over the stations, so that each gets its share of the urgent jobs.
    const slots: StationSession[] = [];
    for (let added = true; added && slots.length < BATCH;) {
      added = false;
      for (const [session, free] of room) {
        if (free <= 0 || slots.length >= BATCH) continue;
        slots.push(session);
        room.set(session, free - 1);
        added = true;
      }
    }
    if (slots.length === 0) return 0;
    const leased = await this.lease(slots);
    if (leased.length === 0) this.idleFor = await this.untilNextQueued();
    for (const [session, job] of leased) {
      if (this.sessions.get(session.stationId) === session) this.send(session, job);
      else this.release(job);
    }
    return leased.length;
  }

  /** Milliseconds until the earliest queued job may be dispatched; undefined when none is queued. */
  private async untilNextQueued(): Promise<number | undefined> {
    const [row] = await this.options.db.query<{ next: Date | string | null }>(
      `SELECT min(not_before) AS next FROM cp_jobs WHERE status = 'queued'`,
    );
    if (!row?.next) return undefined;
    return Math.max(0, new Date(row.next).getTime() - this.options.clock().getTime());
  }

  private async heldLeases(stationIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.options.db.query<{ station_id: string; n: string }>(
      `SELECT station_id, count(*)::text AS n FROM cp_jobs
       WHERE status = 'encoding' AND station_id = ANY ($1::text[]) GROUP BY station_id`,
      [stationIds],
    );
    return new Map(rows.map((r) => [r.station_id, Number(r.n)]));
  }

  /**
   * Leases the most urgent queued jobs to the given slots, in one transaction: the rows are locked
   * with `SKIP LOCKED`, so instances leasing at once take different jobs.
   */
  private async lease(slots: readonly StationSession[]): Promise<[StationSession, DispatchedJob][]> {
    const started: Span[] = [];
    try {
      return await this.leaseIn(slots, started);
    } catch (error) {
      // Nothing of this round was leased: its spans end failed, and none waits for a send.
      for (const [leaseId, span] of this.spans) if (started.includes(span)) this.spans.delete(leaseId);
      for (const span of started) {
        failSpan(span, errorTypeOf(error));
        span.end();
      }
      throw error;
    }
  }

  private leaseIn(
    slots: readonly StationSession[],
    started: Span[],
  ): Promise<[StationSession, DispatchedJob][]> {
    const { db, jobs, vault, audit, clock } = this.options;
    return db.transaction(async (tx) => {
      const now = clock();
      const rows = await tx.query<{ card_id: string }>(
        `SELECT card_id FROM cp_jobs WHERE status = 'queued' AND not_before <= $1::timestamptz
         ORDER BY priority DESC, queued_at, card_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now.toISOString(), slots.length],
      );
      const out: [StationSession, DispatchedJob][] = [];
      // Each release of chip files to a station is recorded with its lease.
      const released: AuditRecord[] = [];
      const traces = await cardTraceparents(
        tx,
        rows.map((r) => r.card_id),
      );
      for (const [i, row] of rows.entries()) {
        const { stationId } = slots[i]!;
        const leaseId = newEventId();
        // The dispatch, in the card's trace: the lease's append is its child, and the station's
        // settlement will be too (it sends the span's traceparent back).
        const { span, context } = startCardSpan(
          'CardProduction.dispatch',
          SpanKind.PRODUCER,
          traces.get(row.card_id),
          { 'cancuoc.station.id': stationId },
        );
        started.push(span);
        let leased;
        try {
          leased = await within(context, () =>
            jobs.execute(
              row.card_id,
              { type: 'LeaseJob', now: now.toISOString(), leaseId, stationId },
              { actor: ACTOR },
              tx,
            ),
          );
        } catch (error) {
          // The row was read before another instance's lease committed: nothing to hand out here.
          if (error instanceof CardRuleViolationError) {
            span.setAttribute('cancuoc.dispatch.outcome', 'lost_race');
            span.end();
            started.splice(started.indexOf(span), 1);
            continue;
          }
          throw error;
        }
        const stored = await vault.get(tx, row.card_id, 'chip-files');
        if (!stored) throw new Error('a queued card has no chip files in the vault');
        const lease = leased.job.leases[leaseId]!;
        out.push([
          slots[i]!,
          {
            cardId: row.card_id,
            leaseId,
            deadline: lease.deadline,
            attempt: lease.attempt,
            priority: leased.job.request.priority,
            files: decodeChipFiles(stored),
            traceparent: traceparentOf(span.spanContext()),
          },
        ]);
        span.setAttribute('cancuoc.job.attempt', lease.attempt);
        this.spans.set(leaseId, span);
        released.push(auditRecords.chipFilesReleased(leased.job, leaseId, stationId));
      }
      await audit.recordMany(released, tx);
      return out;
    });
  }

  /** Ends the dispatch span of `job` with how its hand-over went. */
  private dispatched(job: DispatchedJob, outcome: 'sent' | 'released'): void {
    const span = this.spans.get(job.leaseId);
    if (!span) return;
    this.spans.delete(job.leaseId);
    span.setAttribute('cancuoc.dispatch.outcome', outcome);
    span.end();
  }

  private send(session: StationSession, job: DispatchedJob): void {
    // A send that fails means the stream broke before the job was written: the station never saw it.
    this.track(
      session.send(job).then(
        () => this.dispatched(job, 'sent'),
        () => {
          this.dispatched(job, 'released');
          return this.giveBack(job);
        },
      ),
    );
  }

  /** Hands a leased job back to the queue at once (its station's stream went away before the send). */
  private release(job: DispatchedJob): void {
    this.dispatched(job, 'released');
    this.track(this.giveBack(job));
  }

  private async giveBack(job: DispatchedJob): Promise<void> {
    await this.options.jobs.execute(
      job.cardId,
      { type: 'ReleaseLease', now: this.options.clock().toISOString(), leaseId: job.leaseId },
      { actor: ACTOR },
    );
    this.wake();
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => this.sending.delete(tracked));
    this.sending.add(tracked);
  }
}
