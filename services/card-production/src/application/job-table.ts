import type { Database, Tx } from '@cancuoc/eventstore';
import type { CardJobState } from '@cancuoc/observability';
import type { CardEvent } from '../domain/card/events.js';
import { currentLease, type CardJob } from '../domain/card/state.js';
import type { CardVault } from './ports.js';

/** Statuses after which the register data is no longer needed: the card reached the citizen, or never will. */
const DONE = new Set(['delivered', 'activated', 'cancelled', 'revoked']);

/**
 * `cp_jobs`: one row per card, the job's state after its latest event, written in the transaction
 * of every append (not by a lagging projection), so the queue, leases and counts the dispatcher and
 * sweeper read are never behind the streams. The row is a function of the stream and can be
 * rebuilt by folding it. Alongside, in the same transaction: the revocation list's rows, and the
 * vault purges the card's progress allows.
 */
export async function recordJob(
  tx: Tx,
  cardId: string,
  job: CardJob,
  version: number,
  events: readonly CardEvent[],
  vault: CardVault,
): Promise<void> {
  const lease = currentLease(job);
  await tx.query(
    `INSERT INTO cp_jobs (card_id, application_id, citizen_id, status, priority, queued_at, not_before,
                          lease_id, station_id, lease_deadline, attempts, requested_at, changed_at, version, state,
                          personalise_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $12)
     ON CONFLICT (card_id) DO UPDATE SET
       status = EXCLUDED.status, priority = EXCLUDED.priority, queued_at = EXCLUDED.queued_at,
       not_before = EXCLUDED.not_before, lease_id = EXCLUDED.lease_id, station_id = EXCLUDED.station_id,
       lease_deadline = EXCLUDED.lease_deadline, attempts = EXCLUDED.attempts, changed_at = EXCLUDED.changed_at,
       version = EXCLUDED.version, state = EXCLUDED.state,
       -- A job sent back to personalisation starts its attempts afresh.
       personalise_after = CASE WHEN cp_jobs.status <> 'personalising' AND EXCLUDED.status = 'personalising'
                                THEN EXCLUDED.changed_at ELSE cp_jobs.personalise_after END,
       personalise_attempts = CASE WHEN EXCLUDED.status = 'personalising' AND cp_jobs.status = 'personalising'
                                   THEN cp_jobs.personalise_attempts ELSE 0 END,
       waiting_reason = CASE WHEN EXCLUDED.status = 'personalising' AND cp_jobs.status = 'personalising'
                             THEN cp_jobs.waiting_reason ELSE NULL END
     WHERE cp_jobs.version < EXCLUDED.version`,
    [
      cardId,
      job.request.applicationId,
      job.request.citizenId,
      job.status,
      job.request.priority,
      job.queuedAt,
      job.notBefore,
      lease?.leaseId ?? null,
      lease?.stationId ?? null,
      lease?.deadline ?? null,
      job.attempts,
      job.request.requestedAt,
      job.changedAt,
      version,
      JSON.stringify(job),
    ],
  );
  for (const event of events) {
    if (event.type === 'CardRevoked') {
      await tx.query(
        `INSERT INTO cp_revocations (card_id, sod_sha256, reason, revoked_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (card_id) DO NOTHING`,
        [cardId, job.personalisation?.sodSha256 ?? '', event.data.reason, event.data.revokedAt],
      );
    }
  }
  if (DONE.has(job.status)) await vault.purge(tx, cardId, ['register-data', 'chip-files']);
  else if (events.some((e) => e.type === 'QualityCheckPassed')) await vault.purge(tx, cardId, ['chip-files']);
}

/**
 * The production queue by state, for `cancuoc.card_jobs.depth`: `queued` waiting for a station,
 * `leased` at a station (`encoding`), `failed` out of attempts or refused, waiting for an operator
 * (`manual-handling`). One grouped count over the status index.
 */
export async function jobQueueDepth(db: Database): Promise<Record<CardJobState, number>> {
  const rows = await db.query<{ status: string; n: string }>(
    `SELECT status, count(*)::text AS n FROM cp_jobs
     WHERE status IN ('queued', 'encoding', 'manual-handling') GROUP BY status`,
  );
  const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { queued: count('queued'), leased: count('encoding'), failed: count('manual-handling') };
}
