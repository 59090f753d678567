import type { SqlExecutor } from '../database.js';
import type { ExpectedVersion } from '../types.js';

/**
 * Claims `count` versions on the stream if it is where the writer expects it, and yields the new
 * version; yields no row when it is not. Row locks on `es_streams` make concurrent writers of one
 * stream queue up and then see each other's commit, so exactly one of them wins each version.
 */
function claimVersions(expected: ExpectedVersion): string {
  if (expected === 'no_stream' || expected === 0) {
    return `INSERT INTO es_streams (stream_id, version) VALUES ($1, $2)
            ON CONFLICT (stream_id) DO NOTHING RETURNING version`;
  }
  if (expected === 'any') {
    return `INSERT INTO es_streams (stream_id, version) VALUES ($1, $2)
            ON CONFLICT (stream_id) DO UPDATE
              SET version = es_streams.version + EXCLUDED.version, updated_at = now()
            RETURNING version`;
  }
  // The exact version is the statement's last parameter, present only in this variant.
  const guard = expected === 'stream_exists' ? '' : 'AND version = $11';
  return `UPDATE es_streams SET version = version + $2, updated_at = now()
          WHERE stream_id = $1 ${guard} RETURNING version`;
}

const insertEvents = `
  INSERT INTO es_events (event_id, stream_id, stream_version, event_type, schema_version, data,
                         correlation_id, causation_id, actor, traceparent)
  SELECT e.event_id, $1, claimed.version - $2 + e.ord::int, e.event_type, e.schema_version, e.data,
         $7::uuid, $8::uuid, $9, $10
  FROM claimed,
       unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[])
         WITH ORDINALITY AS e(event_id, event_type, schema_version, data, ord)
  ORDER BY e.ord
  RETURNING event_id, stream_version, global_position::text AS global_position`;

export interface AppendRow {
  event_id: string;
  stream_version: number;
  global_position: string;
}

export interface AppendParams {
  streamId: string;
  expected: ExpectedVersion;
  eventIds: string[];
  types: string[];
  schemaVersions: number[];
  /** Each payload already serialised as JSON text. */
  data: string[];
  correlationId: string;
  causationId: string | null;
  actor: string;
  traceparent: string | null;
}

/**
 * One statement, so that an append outside a caller's transaction is atomic on its own and costs
 * one round trip. It inserts no event when the version claim fails.
 */
export function appendEvents(db: SqlExecutor, p: AppendParams): Promise<AppendRow[]> {
  const sql = `WITH claimed AS (${claimVersions(p.expected)}) ${insertEvents}`;
  const exact = typeof p.expected === 'number' && p.expected > 0 ? [p.expected] : [];
  return db.query<AppendRow>(sql, [
    p.streamId,
    p.eventIds.length,
    p.eventIds,
    p.types,
    p.schemaVersions,
    p.data,
    p.correlationId,
    p.causationId,
    p.actor,
    p.traceparent,
    ...exact,
  ]);
}

export async function currentStreamVersion(db: SqlExecutor, streamId: string): Promise<number> {
  const rows = await db.query<{ version: number }>('SELECT version FROM es_streams WHERE stream_id = $1', [
    streamId,
  ]);
  return rows[0]?.version ?? 0;
}
