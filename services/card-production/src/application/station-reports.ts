import type { Database } from '@cancuoc/eventstore';
import { recordStationJobSettled } from '@cancuoc/observability';
import type { CompleteEncoding, FailEncoding } from '../domain/card/commands.js';
import type { EncodingFailureReason, VoidReason } from '../domain/card/events.js';
import { completionOutcome, failureOutcome, type FailureOutcome } from '../domain/card/outcomes.js';
import { LeaseOfAnotherStationError } from '../domain/card/errors.js';
import type { CardJob } from '../domain/card/state.js';
import { stationActor } from './actor.js';
import type { CardJobs } from './card-jobs.js';
import type { Clock, LeaseBoard } from './ports.js';

/** The station's chip did not become the card and must be destroyed (FAILED_PRECONDITION). */
export class ChipVoidedError extends Error {
  override readonly name = 'ChipVoidedError';
  constructor(readonly reason: VoidReason) {
    super(
      reason === 'READ_BACK_MISMATCH'
        ? 'the read-back hash is not the hash of the files sent; destroy the chip'
        : 'the lease is no longer held by this station; destroy the chip',
    );
  }
}

export interface LeaseState {
  readonly leaseId: string;
  readonly held: boolean;
  readonly deadline: string | undefined;
}

export interface StationReportsOptions {
  readonly db: Database;
  readonly jobs: CardJobs;
  readonly board: LeaseBoard;
  readonly clock: Clock;
  /** Told whenever a station's capacity frees up. */
  readonly onSettled: () => void;
}

/**
 * Station throughput (`cancuoc.station.jobs.settled`) and lease-to-settlement time: recorded once
 * per lease, when its settling event was appended (a repeated report appends nothing).
 */
export function settled(
  job: CardJob,
  stationId: string,
  leaseId: string,
  outcome: 'completed' | 'failed' | 'lease_expired',
  at: Date = new Date(),
): void {
  const leasedAt = job.leases[leaseId]?.leasedAt;
  recordStationJobSettled(stationId, outcome, leasedAt ? new Date(leasedAt) : undefined, at);
}

/** What stations report: completions, failures and heartbeats. Each report is idempotent. */
export class StationReports {
  constructor(private readonly options: StationReportsOptions) {}

  async complete(
    stationId: string,
    cardId: string,
    report: Pick<CompleteEncoding, 'leaseId' | 'chipSerial' | 'readBackSha256'>,
  ): Promise<{ cardId: string; alreadyCompleted: boolean }> {
    const command: CompleteEncoding = {
      type: 'CompleteEncoding',
      now: this.options.clock().toISOString(),
      stationId,
      ...report,
    };
    const { job, events } = await this.options.jobs.execute(cardId, command, {
      actor: stationActor(stationId),
    });
    if (events.length > 0) this.options.onSettled();
    if (events.some((e) => e.type === 'CardEncoded'))
      settled(job, stationId, report.leaseId, 'completed', new Date(command.now));
    const outcome = completionOutcome(job, command, events);
    if (outcome.kind === 'voided') throw new ChipVoidedError(outcome.reason);
    return { cardId, alreadyCompleted: outcome.duplicate };
  }

  async fail(
    stationId: string,
    cardId: string,
    report: { leaseId: string; reason: EncodingFailureReason; detail: string; chipSerial: string | null },
  ): Promise<FailureOutcome> {
    const command: FailEncoding = {
      type: 'FailEncoding',
      now: this.options.clock().toISOString(),
      stationId,
      ...report,
    };
    const { job, events } = await this.options.jobs.execute(cardId, command, {
      actor: stationActor(stationId),
    });
    if (events.length > 0) this.options.onSettled();
    if (events.some((e) => e.type === 'EncodingFailed'))
      settled(job, stationId, report.leaseId, 'failed', new Date(command.now));
    return failureOutcome(job, command, this.options.jobs.policy.maxAttempts);
  }

  /**
   * Extends the station's leases on the board (Redis). When the board cannot be written, a lease
   * close to its deadline is extended in its stream instead: slower, but the station keeps its work.
   * A lease no longer held is answered `held: false`; a lease held by another station refuses the
   * whole heartbeat (`LeaseOfAnotherStationError`) before anything is extended — lease ids are never
   * reused, so an honest station cannot name one.
   */
  async heartbeat(stationId: string, leaseIds: readonly string[]): Promise<LeaseState[]> {
    const { db, jobs, board, clock } = this.options;
    const now = clock();
    const rows = await db.query<{
      card_id: string;
      lease_id: string;
      station_id: string;
      lease_deadline: Date;
    }>(
      `SELECT card_id, lease_id, station_id, lease_deadline FROM cp_jobs
       WHERE status = 'encoding' AND lease_id = ANY ($1::text[])`,
      [leaseIds],
    );
    if (rows.some((r) => r.station_id !== stationId)) throw new LeaseOfAnotherStationError();
    const byLease = new Map(rows.map((r) => [r.lease_id, r]));
    const leaseMs = jobs.policy.leaseMs;
    const until = new Date(now.getTime() + leaseMs);
    await board.stationConnected(stationId);
    const states: LeaseState[] = [];
    for (const leaseId of leaseIds) {
      const row = byLease.get(leaseId);
      if (!row) {
        states.push({ leaseId, held: false, deadline: undefined });
        continue;
      }
      let deadline = new Date(row.lease_deadline);
      if (await board.extend(leaseId, until)) {
        deadline = until;
      } else if (deadline.getTime() - now.getTime() < leaseMs / 2) {
        await jobs.execute(
          row.card_id,
          { type: 'ExtendLease', now: now.toISOString(), leaseId, until: until.toISOString() },
          { actor: stationActor(stationId) },
        );
        deadline = until;
      }
      states.push({ leaseId, held: true, deadline: deadline.toISOString() });
    }
    return states;
  }
}
