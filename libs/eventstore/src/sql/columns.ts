import type { EventMetadata } from '../types.js';

/**
 * The columns every event read selects. Integers wider than 2^53 (positions, transaction ids) and
 * timestamps come back as text so that the server driver and PGlite decode them the same way. The
 * text forms get names of their own: an output alias equal to a column name would win in ORDER BY
 * and sort positions as strings ('100' before '99').
 */
export const EVENT_COLUMNS = `event_id, event_type, schema_version, data, stream_id, stream_version,
  global_position::text AS position_text, transaction_id::text AS transaction_text,
  correlation_id, causation_id, actor, traceparent, to_json(recorded_at) #>> '{}' AS recorded_at`;

export interface EventRow {
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  stream_id: string;
  stream_version: number;
  position_text: string;
  transaction_text: string;
  correlation_id: string;
  causation_id: string | null;
  actor: string;
  traceparent: string | null;
  recorded_at: string;
}

export function metadataOf(row: EventRow): EventMetadata {
  return {
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    actor: row.actor,
    traceparent: row.traceparent,
  };
}
