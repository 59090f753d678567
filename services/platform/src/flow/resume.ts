import { ApplicationStage, EnrollmentService } from '@cancuoc/proto';
import type { Connection } from '../cli/connection.js';
import { DEMO_SUPERVISOR, type OpenApplication } from './enroll.js';
import { pool } from './pool.js';

/** An application enrollment holds for one of the demo's citizens. */
export interface PastApplication extends OpenApplication {
  readonly stage: ApplicationStage;
  readonly closedReason: string;
  readonly startedAt: string;
}

/**
 * The applications enrollment holds at `stations` (the demo's own), per citizen record id, read
 * through ListApplications and GetApplication as the demo's supervisor. A run with the seed of an
 * interrupted one asks this once, when it finds its first citizen already registered: enrollment
 * lists applications by station, without personal data, so each is read once to know whose it is.
 */
export async function applicationsAt(
  connection: Connection,
  stations: readonly string[],
): Promise<Map<string, PastApplication[]>> {
  const supervisor = connection.client(EnrollmentService, 'enrollment', DEMO_SUPERVISOR);
  const ids: { applicationId: string; stationId: string }[] = [];
  for (const stationId of stations) {
    let pageToken = '';
    do {
      const page = await supervisor.listApplications({ stationId, pageSize: 500, pageToken });
      ids.push(...page.applications.map((a) => ({ applicationId: a.applicationId, stationId })));
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  const byCitizen = new Map<string, PastApplication[]>();
  await pool(ids, 8, async ({ applicationId }) => {
    const { application } = await supervisor.getApplication({ applicationId });
    const a = application!.application!;
    const known = byCitizen.get(a.citizenId) ?? [];
    known.push({
      applicationId,
      stationId: a.stationId,
      stage: a.stage,
      closedReason: a.closedReason,
      startedAt: a.startedAt,
    });
    byCitizen.set(a.citizenId, known);
  });
  return byCitizen;
}

const OPEN = new Set([
  ApplicationStage.STARTED,
  ApplicationStage.CAPTURING,
  ApplicationStage.DUPLICATE_CHECK,
  ApplicationStage.ADJUDICATION,
  ApplicationStage.REVIEW,
]);

/** Where a citizen an earlier run registered is, and what this run does about it. */
export type ResumePoint =
  /** No application, or only cancelled or rejected ones: a new one is started. */
  | { readonly kind: 'new' }
  /** An application before submission: taken on from its stage. */
  | { readonly kind: 'open'; readonly application: PastApplication }
  /** Submitted (or completed): its card is taken on from card production's status. */
  | { readonly kind: 'submitted'; readonly application: PastApplication }
  /** Blocked by the register: not started again (the register's flag would block it again). */
  | { readonly kind: 'blocked'; readonly reason: string };

/** What the applications of one citizen (`applicationsAt`) leave this run to do. */
export function resumePoint(applications: readonly PastApplication[] = []): ResumePoint {
  const newest = [...applications].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const submitted = newest.find(
    (a) => a.stage === ApplicationStage.SUBMITTED || a.stage === ApplicationStage.COMPLETED,
  );
  if (submitted) return { kind: 'submitted', application: submitted };
  const open = newest.find((a) => OPEN.has(a.stage));
  if (open) return { kind: 'open', application: open };
  const blocked = newest.find((a) => a.stage === ApplicationStage.BLOCKED);
  if (blocked) return { kind: 'blocked', reason: blocked.closedReason };
  return { kind: 'new' };
}
