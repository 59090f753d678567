import type { SqlExecutor } from '../database.js';
import type { Checkpoint } from '../types.js';
import { EVENT_COLUMNS, type EventRow } from './columns.js';

/**
 * Events after `after` in committed order, in ONE statement (decision 2). Only transactions older
 * than the oldest one still running are read: every one of those has either committed, and is
 * visible to this statement's snapshot, or rolled back. A transaction still in flight, even one
 * holding lower positions, is waited for rather than skipped.
 */
export function readAllRows(db: SqlExecutor, after: Checkpoint, limit: number): Promise<EventRow[]> {
  return db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es_events
     WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY transaction_id, global_position
     LIMIT $3`,
    [after.transactionId.toString(), after.position.toString(), limit],
  );
}
