import type { Database } from '@cancuoc/eventstore';
import { SERVICE_ACTOR } from './actor.js';
import type { CardJobs } from './card-jobs.js';
import { Periodic } from './periodic.js';
import { settled } from './station-reports.js';
import type { Clock, LeaseBoard } from './ports.js';

export interface LeaseSweeperOptions {
  readonly db: Database;
  readonly jobs: CardJobs;
  readonly board: LeaseBoard;
  readonly clock: Clock;
  readonly everyMs: number;
  /** Told when a job went back to the queue. */
  readonly onRequeued: () => void;
  readonly onError?: (error: unknown) => void;
}

const BATCH = 200;

/**
 * Ends the leases whose deadline in PostgreSQL has passed. A lease that heartbeats kept alive (the
 * board says so) has its deadline moved forward in the stream instead, once per lease period rather
 * than once per heartbeat; one that the board knows nothing about (a silent station, or Redis lost)
 * expires and the job goes back to the queue. Several instances may sweep at once: the decider
 * expires a lease only if it is still the job's and still past its deadline.
 */
export class LeaseSweeper {
  private readonly periodic: Periodic;

  constructor(private readonly options: LeaseSweeperOptions) {
    this.periodic = new Periodic(options.everyMs, () => this.sweep().then(() => undefined), options.onError);
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One sweep; how many leases it expired. */
  async sweep(): Promise<number> {
    const { db, jobs, board, clock } = this.options;
    const now = clock();
    const due = await db.query<{ card_id: string; lease_id: string }>(
      `SELECT card_id, lease_id FROM cp_jobs WHERE status = 'encoding' AND lease_deadline <= $1::timestamptz
       ORDER BY lease_deadline LIMIT ${BATCH}`,
      [now.toISOString()],
    );
    if (due.length === 0) return 0;
    const extended = await board.extendedUntil(due.map((d) => d.lease_id));
    let expired = 0;
    for (const { card_id: cardId, lease_id: leaseId } of due) {
      const until = extended.get(leaseId);
      const command =
        until && until > now
          ? ({ type: 'ExtendLease', now: now.toISOString(), leaseId, until: until.toISOString() } as const)
          : ({ type: 'ExpireLease', now: now.toISOString(), leaseId } as const);
      const { job, events } = await jobs.execute(cardId, command, { actor: SERVICE_ACTOR });
      if (events.some((e) => e.type === 'LeaseExpired')) {
        expired += 1;
        const stationId = job.leases[leaseId]?.stationId;
        if (stationId) settled(job, stationId, leaseId, 'lease_expired', now);
      }
    }
    if (expired > 0) this.options.onRequeued();
    return expired;
  }
}
