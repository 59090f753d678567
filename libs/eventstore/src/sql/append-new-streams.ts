import type { SqlExecutor } from '../database.js';

/**
 * Creates many streams and appends their first events in one statement: every stream is claimed at
 * its final version by a single multi-row `INSERT … ON CONFLICT DO NOTHING`, and only the events of
 * the streams actually claimed are inserted. A stream that already existed yields no row; the caller
 * turns that into a `WrongExpectedVersionError` and rolls the transaction back.
 */
const sql = `
  WITH claimed AS (
    INSERT INTO es_streams (stream_id, version)
    SELECT * FROM unnest($1::text[], $2::int[])
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id
  )
  INSERT INTO es_events (event_id, stream_id, stream_version, event_type, schema_version, data,
                         correlation_id, causation_id, actor, traceparent)
  SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, d.data,
         $9::uuid, $10::uuid, $11, $12
  FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[], $7::int[])
         WITH ORDINALITY AS e(event_id, stream_id, stream_version, event_type, schema_version, ord)
  JOIN jsonb_array_elements($8::jsonb) WITH ORDINALITY AS d(data, ord) USING (ord)
  JOIN claimed USING (stream_id)
  ORDER BY e.ord
  RETURNING event_id, stream_id, stream_version, global_position::text AS global_position`;

export interface NewStreamsRow {
  event_id: string;
  stream_id: string;
  stream_version: number;
  global_position: string;
}

export interface NewStreamsParams {
  /** One entry per stream, with the number of events it gets. */
  streamIds: string[];
  versions: number[];
  /** One entry per event, streams' events contiguous and in order. */
  eventIds: string[];
  eventStreamIds: string[];
  streamVersions: number[];
  types: string[];
  schemaVersions: number[];
  /**
   * Every payload, as one JSON array: a bulk append is dominated by the server reading its
   * payloads, and one JSON document is read several times faster than an array of JSON texts,
   * whose every quote the driver escapes and the server unescapes.
   */
  data: string;
  correlationId: string;
  causationId: string | null;
  actor: string;
  traceparent: string | null;
}

export function appendNewStreams(db: SqlExecutor, p: NewStreamsParams): Promise<NewStreamsRow[]> {
  return db.query<NewStreamsRow>(sql, [
    p.streamIds,
    p.versions,
    p.eventIds,
    p.eventStreamIds,
    p.streamVersions,
    p.types,
    p.schemaVersions,
    p.data,
    p.correlationId,
    p.causationId,
    p.actor,
    p.traceparent,
  ]);
}
