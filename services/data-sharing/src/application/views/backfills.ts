import type { Tx } from '@cancuoc/eventstore';
import { deliversKafka } from '../../domain/subscription/terms.js';
import type { SubscriptionRow } from '../subscription-rows.js';

/** `project`: re-derive the view of every citizen; `withdraw`: take every citizen out of it. */
export type BackfillMode = 'project' | 'withdraw';

export function backfillModeOf(row: SubscriptionRow): BackfillMode {
  const s = row.subscription;
  return (s.status === 'approved' || s.status === 'suspended') && deliversKafka(s.terms.delivery)
    ? 'project'
    : 'withdraw';
}

/**
 * Starts (or restarts from the first citizen) the back-fill of the agency's view under the
 * subscription's current generation, in the caller's transaction: the change that needs it and
 * the job commit together. One job per agency; a newer one replaces an unfinished one.
 */
export async function startBackfill(tx: Tx, row: SubscriptionRow): Promise<void> {
  const mode = backfillModeOf(row);
  const agency = row.subscription.agency;
  const [count] = await tx.query<{ n: string }>(
    mode === 'project'
      ? 'SELECT count(*)::text AS n FROM ds_citizens'
      : 'SELECT count(*)::text AS n FROM ds_agency_views WHERE agency = $1',
    mode === 'project' ? [] : [agency],
  );
  await tx.query(
    `INSERT INTO ds_backfills (agency, subscription_id, generation, mode, total)
     VALUES ($1, $2, $3::bigint, $4, $5::bigint)
     ON CONFLICT (agency) DO UPDATE SET
       subscription_id = EXCLUDED.subscription_id, generation = EXCLUDED.generation, mode = EXCLUDED.mode,
       total = EXCLUDED.total, after_citizen = NULL, processed = 0, done = false,
       started_at = clock_timestamp(), finished_at = NULL`,
    [agency, row.subscription.subscriptionId, row.generation.toString(), mode, count!.n],
  );
}

export interface BackfillProgress {
  readonly processed: number;
  readonly total: number;
  readonly done: boolean;
}

export async function backfillProgress(
  tx: Pick<Tx, 'query'>,
  agency: string,
): Promise<BackfillProgress | undefined> {
  const [row] = await tx.query<{ processed: string; total: string; done: boolean }>(
    'SELECT processed::text AS processed, total::text AS total, done FROM ds_backfills WHERE agency = $1',
    [agency],
  );
  return row && { processed: Number(row.processed), total: Number(row.total), done: row.done };
}
