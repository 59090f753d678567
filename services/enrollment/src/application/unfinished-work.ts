import type { SqlExecutor } from '@cancuoc/eventstore';
import type {
  UnfinishedWorkItem,
  UnfinishedWorkQuery,
  UnfinishedWorkSource,
  WorkAction,
  WorkActor,
} from '@cancuoc/operations';
import type { Stage } from '../domain/application/state.js';
import type { CardStatusName } from './card-history.js';

type OpenStage = Exclude<Stage, 'completed' | 'rejected' | 'cancelled' | 'blocked'>;

/** Every stage that is not final: what moves it on, and who must act. */
const NEXT: Record<OpenStage, { readonly action: WorkAction; readonly actor: WorkActor }> = {
  started: { action: 'register-lookup', actor: 'platform' },
  capturing: { action: 'capture-biometrics', actor: 'enrollment-station' },
  'duplicate-check': { action: 'duplicate-check', actor: 'platform' },
  adjudication: { action: 'adjudicate', actor: 'adjudication' },
  review: { action: 'review', actor: 'supervisor' },
  submitted: { action: 'produce-card', actor: 'platform' },
};

/**
 * Who moves a submitted application on, by what card production last reported of its card (the
 * CardStatus name `enr_cards` keeps, e.g. `SHIPPED`): none yet, or delivered (enrollment closes it
 * on that event), the platform; otherwise whoever the card waits for.
 */
function submittedActor(cardStatus: CardStatusName | null): WorkActor {
  switch (cardStatus) {
    case null:
    case 'DELIVERED':
    case 'ACTIVATED':
      return 'platform';
    case 'QUEUED':
    case 'ENCODING':
      return 'encoding-station';
    case 'ENCODED':
    case 'QUALITY_CHECKED':
    case 'MANUAL_HANDLING':
    case 'CANCELLED':
    case 'REVOKED':
      return 'operator';
    case 'SHIPPED':
      return 'delivery';
    default: {
      const unknown: never = cardStatus;
      throw new Error(`unknown card status ${String(unknown)}`);
    }
  }
}

const stageName = (stage: Stage) => `APPLICATION_STAGE_${stage.toUpperCase().replace('-', '_')}`;

interface Row {
  application_id: string;
  station_id: string;
  stage: OpenStage;
  stage_entered_at: Date | string;
  attempts: number | null;
  last_error: string | null;
  next_attempt_at: Date | string | null;
  card_id: string | null;
  card_status: CardStatusName | null;
}

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

/**
 * Enrollment's unfinished work for ListUnfinishedWork: every application in an open stage since
 * before the threshold, oldest first, with the pipeline step's retries where the platform acts.
 */
export class UnfinishedApplications implements UnfinishedWorkSource {
  constructor(private readonly db: SqlExecutor) {}

  async list(query: UnfinishedWorkQuery): Promise<UnfinishedWorkItem[]> {
    // The closed stages are the partial index's predicate, written out so the planner uses it.
    const rows = await this.db.query<Row>(
      `SELECT a.application_id, a.station_id, a.stage, a.stage_entered_at,
              p.attempts, p.last_error, p.next_attempt_at, c.card_id, c.status AS card_status
       FROM enr_applications a
       LEFT JOIN enr_pending_steps p USING (application_id)
       LEFT JOIN LATERAL (SELECT card_id, status FROM enr_cards WHERE application_id = a.application_id::text
                          ORDER BY changed_at DESC LIMIT 1) c ON true
       WHERE a.stage NOT IN ('completed', 'rejected', 'cancelled', 'blocked') AND a.stage_entered_at < $1::timestamptz
         AND (a.stage_entered_at, a.application_id) > ($2::timestamptz, $3::uuid)
       ORDER BY a.stage_entered_at, a.application_id LIMIT $4`,
      [
        query.before.toISOString(),
        query.after?.since.toISOString() ?? '-infinity',
        query.after?.id ?? '00000000-0000-0000-0000-000000000000',
        query.limit,
      ],
    );
    return rows.map((row) => {
      const next = NEXT[row.stage];
      const actor = row.stage === 'submitted' ? submittedActor(row.card_status) : next.actor;
      return {
        kind: 'application',
        id: row.application_id,
        stationId: row.station_id,
        state: stageName(row.stage),
        since: date(row.stage_entered_at),
        nextAction: next.action,
        actor,
        attempts: row.attempts ?? 0,
        lastError: row.last_error,
        nextAttemptAt: row.next_attempt_at === null ? null : date(row.next_attempt_at),
        relatedId: row.card_id,
      };
    });
  }
}
