import type { SqlExecutor, Tx } from '@cancuoc/eventstore';
import { printedData } from '../domain/application/citizen-data.js';
import { isClosed, type Application, type Stage } from '../domain/application/state.js';
import { decodePageToken, encodePageToken, isRecordId } from '@cancuoc/identity';
import { isIsoInstant } from './instants.js';

export type PipelineStep = 'register-lookup' | 'duplicate-check';

/** The step an application in `stage` waits on: the pipeline is its stage, made operational. */
export function stepFor(stage: Stage): PipelineStep | null {
  switch (stage) {
    case 'started':
      return 'register-lookup';
    case 'duplicate-check':
      return 'duplicate-check';
    case 'capturing':
    case 'adjudication':
    case 'review':
    case 'submitted':
    case 'completed':
    case 'rejected':
    case 'cancelled':
    case 'blocked':
      return null;
    default: {
      const unknown: never = stage;
      throw new Error(`unknown stage ${String(unknown)}`);
    }
  }
}

export interface PendingStepView {
  readonly step: PipelineStep;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastAttemptAt: Date | null;
  readonly pendingSince: Date;
  readonly nextAttemptAt: Date;
}

export interface ApplicationView {
  readonly applicationId: string;
  readonly version: number;
  readonly application: Application;
  readonly pendingStep: PendingStepView | null;
  readonly cardId: string | null;
  /** CardChanged status name (e.g. CARD_STATUS_SHIPPED) of the card made from it. */
  readonly cardStatus: string | null;
}

export interface ApplicationSummary {
  readonly applicationId: string;
  readonly stationId: string;
  readonly stage: Stage;
  readonly reason: Application['reason'];
  readonly startedAt: Date;
  readonly stageEnteredAt: Date;
  readonly pendingStep: PendingStepView | null;
}

interface StepRow {
  step: PipelineStep | null;
  attempts: number | null;
  last_error: string | null;
  last_attempt_at: Date | string | null;
  pending_since: Date | string | null;
  next_attempt_at: Date | string | null;
}

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function pendingStep(row: StepRow): PendingStepView | null {
  if (!row.step) return null;
  return {
    step: row.step,
    attempts: row.attempts ?? 0,
    lastError: row.last_error,
    lastAttemptAt: row.last_attempt_at ? date(row.last_attempt_at) : null,
    pendingSince: date(row.pending_since!),
    nextAttemptAt: date(row.next_attempt_at!),
  };
}

const STEP_COLUMNS =
  'p.step, p.attempts, p.last_error, p.last_attempt_at, p.pending_since, p.next_attempt_at';

/**
 * Writes an application's read model in the transaction of its change: the state row, the citizen's
 * open-application claim (released once the application closes) and the pipeline step its stage
 * waits on (a new step starts with no failed attempts; none once the stage needs none).
 */
export async function saveApplication(
  tx: Tx,
  applicationId: string,
  version: number,
  application: Application,
): Promise<void> {
  await tx.query(
    `INSERT INTO enr_applications (application_id, station_id, stage, reason, personal_id, citizen_id, version,
                                   started_at, stage_entered_at, fingerprints_ref, printed_data, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)
     ON CONFLICT (application_id) DO UPDATE SET stage = EXCLUDED.stage, citizen_id = EXCLUDED.citizen_id,
       version = EXCLUDED.version, stage_entered_at = EXCLUDED.stage_entered_at,
       fingerprints_ref = EXCLUDED.fingerprints_ref, printed_data = EXCLUDED.printed_data, state = EXCLUDED.state
     WHERE enr_applications.version < EXCLUDED.version`,
    [
      applicationId,
      application.stationId,
      application.stage,
      application.reason,
      application.personalId,
      application.citizen?.citizenId ?? null,
      version,
      application.startedAt,
      application.stageEnteredAt,
      application.fingerprints?.record.reference ?? null,
      application.citizen ? printedData(application.citizen.data) : null,
      JSON.stringify(application),
    ],
  );
  if (isClosed(application.stage)) {
    await tx.query('DELETE FROM enr_open_applications WHERE application_id = $1', [applicationId]);
  }
  const step = stepFor(application.stage);
  if (step === null) {
    await tx.query('DELETE FROM enr_pending_steps WHERE application_id = $1', [applicationId]);
    return;
  }
  await tx.query(
    `INSERT INTO enr_pending_steps (application_id, step, station_id, pending_since, next_attempt_at)
     VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (application_id) DO UPDATE SET step = EXCLUDED.step, attempts = 0, last_error = NULL,
       last_attempt_at = NULL, pending_since = EXCLUDED.pending_since, next_attempt_at = EXCLUDED.next_attempt_at
     WHERE enr_pending_steps.step <> EXCLUDED.step`,
    [applicationId, step, application.stationId, application.stageEnteredAt],
  );
}

export async function loadApplication(
  db: SqlExecutor,
  applicationId: string,
): Promise<ApplicationView | undefined> {
  const [row] = await db.query<
    StepRow & { version: number; state: Application; card_id: string | null; card_status: string | null }
  >(
    `SELECT a.version, a.state, ${STEP_COLUMNS}, c.card_id, c.status AS card_status
     FROM enr_applications a
     LEFT JOIN enr_pending_steps p USING (application_id)
     LEFT JOIN LATERAL (SELECT card_id, status FROM enr_cards WHERE application_id = a.application_id::text
                        ORDER BY changed_at DESC LIMIT 1) c ON true
     WHERE a.application_id = $1`,
    [applicationId],
  );
  if (!row) return undefined;
  return {
    applicationId,
    version: row.version,
    application: row.state,
    pendingStep: pendingStep(row),
    cardId: row.card_id,
    cardStatus: row.card_status,
  };
}

type SummaryRow = StepRow & {
  application_id: string;
  station_id: string;
  stage: Stage;
  reason: Application['reason'];
  started_at: Date | string;
  stage_entered_at: Date | string;
};

const summary = (row: SummaryRow): ApplicationSummary => ({
  applicationId: row.application_id,
  stationId: row.station_id,
  stage: row.stage,
  reason: row.reason,
  startedAt: date(row.started_at),
  stageEnteredAt: date(row.stage_entered_at),
  pendingStep: pendingStep(row),
});

const MAX_PAGE = 500;

/** A page size as AIP-158 has it: 0 the default (50), anything above 500 is 500. */
export const pageLimit = (pageSize: number, fallback = 50) =>
  Math.min(Math.max(pageSize || fallback, 1), MAX_PAGE);

/**
 * Where a page of a station's applications starts: after the token's (started_at, id), or at the
 * newest. A token of another station's or stage's list is refused (`InvalidPageTokenError`), before
 * any query.
 */
export function applicationsCursor(
  stationId: string,
  stage: Stage | undefined,
  pageToken: string,
): [startedAt: string, applicationId: string] {
  if (!pageToken) return ['infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
  const [startedAt, applicationId] = decodePageToken(
    pageToken,
    'applications',
    [stationId, stage ?? null],
    [isIsoInstant, isRecordId],
  );
  return [startedAt!, applicationId!];
}

/** A station's applications, newest first, optionally in one stage; pages by an opaque token. */
export async function listApplications(
  db: SqlExecutor,
  stationId: string,
  stage: Stage | undefined,
  pageSize: number,
  pageToken: string,
): Promise<{ applications: ApplicationSummary[]; nextPageToken: string }> {
  const limit = pageLimit(pageSize);
  const [afterStarted, afterId] = applicationsCursor(stationId, stage, pageToken);
  const rows = await db.query<SummaryRow>(
    `SELECT a.application_id, a.station_id, a.stage, a.reason, a.started_at, a.stage_entered_at, ${STEP_COLUMNS}
     FROM enr_applications a LEFT JOIN enr_pending_steps p USING (application_id)
     WHERE a.station_id = $1 AND ($2::text IS NULL OR a.stage = $2)
       AND (a.started_at, a.application_id) < ($3::timestamptz, $4::uuid)
     ORDER BY a.started_at DESC, a.application_id DESC LIMIT $5`,
    [stationId, stage ?? null, afterStarted, afterId, limit + 1],
  );
  const page = rows.slice(0, limit).map(summary);
  const last = page.at(-1);
  return {
    applications: page,
    nextPageToken:
      rows.length > limit && last
        ? encodePageToken(
            'applications',
            [stationId, stage ?? null],
            [last.startedAt.toISOString(), last.applicationId],
          )
        : '',
  };
}

/**
 * Applications held up in the pipeline, oldest first: a step that failed at least once, or that
 * has waited longer than `stuckAfterMs` without running.
 */
export async function stuckApplications(
  db: SqlExecutor,
  stationId: string | undefined,
  limit: number,
  stuckAfterMs: number,
): Promise<ApplicationSummary[]> {
  const rows = await db.query<SummaryRow>(
    `SELECT a.application_id, a.station_id, a.stage, a.reason, a.started_at, a.stage_entered_at, ${STEP_COLUMNS}
     FROM enr_pending_steps p JOIN enr_applications a USING (application_id)
     WHERE ($1::text IS NULL OR p.station_id = $1)
       AND (p.attempts > 0 OR p.pending_since < now() - make_interval(secs => $2::double precision / 1000))
     ORDER BY p.pending_since, p.application_id LIMIT $3`,
    [stationId ?? null, stuckAfterMs, pageLimit(limit, 100)],
  );
  return rows.map(summary);
}
