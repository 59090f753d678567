import type { SqlExecutor } from '../database.js';
import { EVENT_COLUMNS, type EventRow } from './columns.js';

export function readStreamRows(
  db: SqlExecutor,
  streamId: string,
  fromVersion: number,
  maxCount: number,
): Promise<EventRow[]> {
  return db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM es_events
     WHERE stream_id = $1 AND stream_version >= $2
     ORDER BY stream_version LIMIT $3`,
    [streamId, fromVersion, maxCount],
  );
}
