import type { SqlExecutor } from '../database.js';

/** What a reader of the global log (a subscription, the relay) has still to read. */
export interface Backlog {
  /** Committed events after its checkpoint, counted up to {@link BACKLOG_COUNT_LIMIT}. */
  readonly events: number;
  /** Age in seconds of the oldest of them; 0 when there are none. */
  readonly oldestAgeSeconds: number;
}

/**
 * Counting is bounded, so that a reader far behind (a new projection over a whole register) costs
 * one bounded index scan per metric collection rather than a scan of the log: beyond this the
 * backlog reads as this number.
 */
export const BACKLOG_COUNT_LIMIT = 100_000;

/** The backlog of the reader whose checkpoint is kept in `es_subscriptions` under `name`. */
export async function backlogOf(db: SqlExecutor, name: string): Promise<Backlog> {
  const [row] = await db.query<{ backlog: number; lag: number | string }>(
    `WITH checkpoint AS (
       SELECT transaction_id, global_position FROM es_subscriptions WHERE subscription_id = $1),
     pending AS (
       SELECT e.recorded_at FROM es_events e, checkpoint c
       WHERE (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
       ORDER BY e.transaction_id, e.global_position
       LIMIT $2)
     SELECT count(*)::int AS backlog,
            COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(recorded_at)), 0)::float8 AS lag
     FROM pending`,
    [name, BACKLOG_COUNT_LIMIT],
  );
  return { events: row?.backlog ?? 0, oldestAgeSeconds: Math.max(0, Number(row?.lag ?? 0)) };
}
