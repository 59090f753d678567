import type { SqlExecutor } from '@cancuoc/eventstore';
import type {
  UnfinishedWorkItem,
  UnfinishedWorkQuery,
  UnfinishedWorkSource,
  WorkAction,
  WorkActor,
} from '@cancuoc/operations';
import type { JobStatus } from '../domain/card/state.js';

type FinalStatus = 'activated' | 'cancelled' | 'revoked';
type OpenStatus = Exclude<JobStatus, FinalStatus>;

/** Every status that is not final: what moves the card on, and who must act. */
const NEXT: Record<OpenStatus, { readonly action: WorkAction; readonly actor: WorkActor }> = {
  // The personaliser claims it, and retries with backoff while enrollment or the signer is down.
  personalising: { action: 'personalise', actor: 'platform' },
  queued: { action: 'encode', actor: 'encoding-station' },
  // An expired lease goes back to the queue by itself (the lease sweeper).
  encoding: { action: 'finish-encoding', actor: 'encoding-station' },
  encoded: { action: 'quality-check', actor: 'operator' },
  'quality-checked': { action: 'ship', actor: 'operator' },
  shipped: { action: 'deliver', actor: 'delivery' },
  delivered: { action: 'activate', actor: 'delivery' },
  'manual-handling': { action: 'resolve-manual-handling', actor: 'operator' },
};

const statusName = (status: JobStatus) => `CARD_JOB_STATUS_${status.toUpperCase().replace('-', '_')}`;

interface Row {
  card_id: string;
  application_id: string;
  status: OpenStatus;
  station_id: string | null;
  changed_at: Date | string;
  attempts: number;
  personalise_attempts: number;
  personalise_after: Date | string | null;
  not_before: Date | string | null;
  waiting_reason: string | null;
  manual_reason: string | null;
}

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/**
 * Card production's unfinished work for ListUnfinishedWork: every card not activated, cancelled
 * or revoked, unchanged since before the threshold, oldest first. Where the platform retries
 * (personalisation, a dispatch after a failure) the attempts, the last failure and the next try.
 */
export class UnfinishedCards implements UnfinishedWorkSource {
  constructor(private readonly db: SqlExecutor) {}

  async list(query: UnfinishedWorkQuery): Promise<UnfinishedWorkItem[]> {
    // The status list is the partial index's predicate, written out so the planner uses it.
    const rows = await this.db.query<Row>(
      `SELECT card_id, application_id, status, station_id, changed_at, attempts, personalise_attempts,
              personalise_after, not_before, waiting_reason, state->'manualHandling'->>'reason' AS manual_reason
       FROM cp_jobs
       WHERE status NOT IN ('activated', 'cancelled', 'revoked') AND changed_at < $1::timestamptz
         AND (changed_at, card_id) > ($2::timestamptz, $3::uuid)
       ORDER BY changed_at, card_id LIMIT $4`,
      [
        query.before.toISOString(),
        query.after?.since.toISOString() ?? '-infinity',
        query.after?.id ?? '00000000-0000-0000-0000-000000000000',
        query.limit,
      ],
    );
    return rows.map((row) => {
      const next = NEXT[row.status];
      const personalising = row.status === 'personalising';
      const retry = personalising ? row.personalise_after : row.status === 'queued' ? row.not_before : null;
      return {
        kind: 'card',
        id: row.card_id,
        stationId: row.status === 'encoding' ? row.station_id : null,
        state: statusName(row.status),
        since: date(row.changed_at),
        nextAction: next.action,
        actor: next.actor,
        attempts: personalising ? row.personalise_attempts : row.attempts,
        lastError: row.status === 'manual-handling' ? row.manual_reason : row.waiting_reason,
        nextAttemptAt: retry === null ? null : date(retry),
        relatedId: row.application_id,
      };
    });
  }
}
