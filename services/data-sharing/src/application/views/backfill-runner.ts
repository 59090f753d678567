import { Follower, type Database, type FollowStep, type Tx } from '@cancuoc/eventstore';
import { CalendarDate, isLeapYear } from '@cancuoc/identity';
import type { ProjectedCitizen } from '../../domain/citizen/projected-citizen.js';
import { BACKFILL_CHANNEL, DELIVERY_CHANNEL } from '../citizen-projection.js';
import { lockViews } from '../locks.js';
import type { DisclosureEncoder } from '../ports.js';
import { subscriptionRow, viewSubscriptions } from '../subscription-rows.js';
import { refreshViews, withdrawViews, type CitizenChange } from './refresh.js';

/** How soon a new day is noticed: `today` is a calendar, which nothing announces. */
const AGE_SWEEP_POLL_MS = 5_000;

export interface BackfillRunnerOptions {
  readonly db: Database;
  readonly encode: DisclosureEncoder;
  readonly today: () => CalendarDate;
  /** Citizens per transaction. */
  readonly batchSize?: number;
  /**
   * Longest wait when no NOTIFY comes. Back-fills are announced; a new day (the age sweep) is not:
   * it is noticed within this, 5 s by default.
   */
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Rows back-filled between two ANALYZE of the tables it grows. */
const ANALYSE_EVERY = 50_000;

interface Job {
  agency: string;
  processed: string;
  subscription_id: string;
  generation: string;
  mode: 'project' | 'withdraw';
  after_citizen: string | null;
}

interface ProjectionRow {
  position: string;
  rebuilding: boolean;
  swept: string | null;
  sweep_day: string | null;
  sweep_after: string | null;
}

interface CitizenRow {
  citizen_id: string;
  state: ProjectedCitizen;
  changed_at: Date | string;
}

const changeOf = (r: CitizenRow): CitizenChange => ({ citizen: r.state, changedAt: new Date(r.changed_at) });

/**
 * The birthdays that make an age go up on `day` (month * 100 + day): that day's, and on 28 February
 * of a common year also 29 February's (the leap-day convention of `ageAt`).
 */
export function birthdaysOn(day: CalendarDate): number[] {
  const md = day.month * 100 + day.day;
  return md === 228 && !isLeapYear(day.year) ? [228, 229] : [md];
}

/**
 * Re-projects agency views in the background, a batch per transaction under the views lock, so
 * it interleaves with the live projection instead of racing it:
 * - back-fills (`ds_backfills`): after a subscription's terms or status changed, every citizen
 *   (`project`) or every row of the agency's view (`withdraw`), by cursor, resumable after a crash;
 * - the age sweep: ages change without any event, so once a day the citizens whose birthday it is
 *   are re-projected for the subscriptions with an age range (missed days are swept in turn).
 * Nothing runs while a full rebuild replays the log.
 */
export class BackfillRunner {
  private readonly follower: Follower;
  private readonly batchSize: number;

  constructor(private readonly options: BackfillRunnerOptions) {
    this.batchSize = options.batchSize ?? 1_000;
    this.follower = new Follower({
      db: options.db,
      channel: BACKFILL_CHANNEL,
      pollIntervalMs: options.pollIntervalMs ?? AGE_SWEEP_POLL_MS,
      initialBackoffMs: 50,
      maxBackoffMs: 10_000,
      onError: options.onError,
      step: () => this.step(),
    });
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** One batch of the oldest unfinished back-fill, else of the age sweep. */
  async step(): Promise<FollowStep> {
    let analyse = false;
    const read = await this.options.db.transaction(async (tx) => {
      await lockViews(tx);
      const [projection] = await tx.query<ProjectionRow>(
        `SELECT position::text AS position, rebuilding, ages_swept_through::text AS swept,
                age_sweep_day::text AS sweep_day, age_sweep_after::text AS sweep_after
         FROM ds_projection WHERE projection = 'citizens'`,
      );
      if (projection!.rebuilding) return 0;
      const [job] = await tx.query<Job>(
        `SELECT agency, subscription_id::text AS subscription_id, generation::text AS generation, mode,
                after_citizen::text AS after_citizen, processed::text AS processed
         FROM ds_backfills WHERE NOT done ORDER BY started_at LIMIT 1`,
      );
      const position = BigInt(projection!.position);
      if (job) {
        const done = await this.backfill(tx, job, position);
        analyse =
          Math.floor((Number(job.processed) + done) / ANALYSE_EVERY) >
          Math.floor(Number(job.processed) / ANALYSE_EVERY);
        return done;
      }
      return this.sweepAges(tx, projection!, position);
    });
    // A back-fill grows the view and the queue faster than autovacuum's ANALYZE follows; with the
    // statistics of a near-empty table the planner reads whole tables for every batch.
    if (analyse) await this.options.db.query('ANALYZE ds_agency_views, ds_delivery_queue');
    if (read > 0) this.options.db.notify(DELIVERY_CHANNEL);
    return read === 0 ? 'idle' : { read, full: true };
  }

  private async backfill(tx: Tx, job: Job, position: bigint): Promise<number> {
    const generation = BigInt(job.generation);
    let ids: string[];
    if (job.mode === 'project') {
      const row = await subscriptionRow(tx, job.subscription_id);
      const rows = await tx.query<CitizenRow>(
        `SELECT citizen_id::text AS citizen_id, state, changed_at FROM ds_citizens
         WHERE citizen_id > coalesce($1::uuid, '00000000-0000-0000-0000-000000000000')
         ORDER BY ds_citizens.citizen_id LIMIT $2`,
        [job.after_citizen, this.batchSize],
      );
      ids = rows.map((r) => r.citizen_id);
      if (row)
        await refreshViews(
          tx,
          this.options.encode,
          [row],
          rows.map(changeOf),
          position,
          this.options.today(),
        );
    } else {
      const rows = await tx.query<{ citizen_id: string }>(
        `SELECT citizen_id::text AS citizen_id FROM ds_agency_views
         WHERE agency = $1 AND citizen_id > coalesce($2::uuid, '00000000-0000-0000-0000-000000000000')
         ORDER BY ds_agency_views.citizen_id LIMIT $3`,
        [job.agency, job.after_citizen, this.batchSize],
      );
      ids = rows.map((r) => r.citizen_id);
      await withdrawViews(tx, job.agency, generation, position, ids);
    }
    const done = ids.length < this.batchSize;
    await tx.query(
      `UPDATE ds_backfills SET after_citizen = coalesce($2::uuid, after_citizen), processed = processed + $3,
              done = $4, finished_at = CASE WHEN $4 THEN clock_timestamp() END
       WHERE agency = $1`,
      [job.agency, ids.at(-1) ?? null, ids.length, done],
    );
    // A finished job still counts as work done, so the runner looks for the next one at once.
    return Math.max(ids.length, 1);
  }

  private async sweepAges(tx: Tx, projection: ProjectionRow, position: bigint): Promise<number> {
    const today = this.options.today();
    if (projection.swept === null) {
      // Views made from now on are computed with today's ages; nothing before needs sweeping.
      await tx.query(`UPDATE ds_projection SET ages_swept_through = $1::date WHERE projection = 'citizens'`, [
        today.toString(),
      ]);
      return 0;
    }
    const swept = CalendarDate.parse(projection.swept);
    const day = projection.sweep_day ? CalendarDate.parse(projection.sweep_day) : swept.plusDays(1);
    if (day.isAfter(today)) return 0;
    const subscriptions = (await viewSubscriptions(tx)).filter(
      (r) => r.subscription.terms.scope.minAge !== null || r.subscription.terms.scope.maxAge !== null,
    );
    const rows =
      subscriptions.length === 0
        ? []
        : await tx.query<CitizenRow>(
            `SELECT citizen_id::text AS citizen_id, state, changed_at FROM ds_citizens
             WHERE birth_md = ANY($1::smallint[])
               AND citizen_id > coalesce($2::uuid, '00000000-0000-0000-0000-000000000000')
             ORDER BY ds_citizens.citizen_id LIMIT $3`,
            [birthdaysOn(day), projection.sweep_after, this.batchSize],
          );
    await refreshViews(tx, this.options.encode, subscriptions, rows.map(changeOf), position, today);
    const dayDone = rows.length < this.batchSize;
    await tx.query(
      `UPDATE ds_projection SET
         ages_swept_through = CASE WHEN $1 THEN $2::date ELSE ages_swept_through END,
         age_sweep_day = CASE WHEN $1 THEN NULL ELSE $2::date END,
         age_sweep_after = CASE WHEN $1 THEN NULL ELSE $3::uuid END
       WHERE projection = 'citizens'`,
      [dayDone, day.toString(), rows.at(-1)?.citizen_id ?? null],
    );
    return Math.max(rows.length, 1);
  }
}
