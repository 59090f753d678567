import type { EventMetadata } from '../types.js';

/**
 * The columns every event read selects. Integers wider than 2^53 (positions, transaction ids) and
 * timestamps come back as text so that the server driver and PGlite decode them the same way.
 */
export const EVENT_COLUMNS = `event_id, event_type, schema_version, data, stream_id, stream_version,
  global_position::text AS global_position, transaction_id::text AS transaction_id,
  correlation_id, causation_id, actor, traceparent, to_json(recorded_at) #>> '{}' AS recorded_at`;

export interface EventRow {
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  stream_id: string;
  stream_version: number;
  global_position: string;
  transaction_id: string;
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
