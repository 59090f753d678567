import pg from 'pg';
import { ACTOR, uuidv7 } from './payload.js';
import type { SystemUnderTest } from './workload.js';

/** The columns and indexes of es_events, without a streams table and its version check. */
const SCHEMA = `
  CREATE TABLE raw_events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id uuid NOT NULL UNIQUE,
    stream_id text NOT NULL,
    stream_version integer NOT NULL CHECK (stream_version > 0),
    event_type text NOT NULL,
    schema_version integer NOT NULL DEFAULT 1,
    data jsonb NOT NULL,
    correlation_id uuid NOT NULL,
    causation_id uuid,
    actor text NOT NULL,
    traceparent text,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, stream_version)
  );
  CREATE INDEX raw_events_global_order ON raw_events (transaction_id, global_position);`;

const COLUMNS = 10;
const inserts = new Map<number, string>();

/** `INSERT … VALUES (…), (…)` for `rows` rows: one statement, one round trip, no transaction block. */
function insertSql(rows: number): string {
  let sql = inserts.get(rows);
  if (!sql) {
    const values = Array.from({ length: rows }, (_, r) => {
      const p = Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`);
      return `(${p.join(', ')})`;
    });
    sql = `INSERT INTO raw_events (event_id, stream_id, stream_version, event_type, schema_version, data,
             correlation_id, causation_id, actor, traceparent) VALUES ${values.join(', ')}`;
    inserts.set(rows, sql);
  }
  return sql;
}

/** Plain `pg`: what writing and reading equivalent rows costs with no event store in between. */
export async function openRaw(connectionString: string, poolSize: number): Promise<SystemUnderTest> {
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: 'bench-raw' });
  // An idle connection the server ends (the database being dropped at the end) must not crash the run.
  pool.on('error', () => undefined);
  await pool.query(SCHEMA);
  return {
    async append(streamId, events, expectedVersion) {
      const correlationId = uuidv7();
      const params: unknown[] = [];
      events.forEach((e, i) => {
        params.push(uuidv7(), streamId, expectedVersion + i + 1, e.type, 1, JSON.stringify(e.data));
        params.push(correlationId, null, ACTOR, null);
      });
      await pool.query(insertSql(events.length), params);
    },
    async readAll(pageSize, maxPages) {
      let after = '0';
      let read = 0;
      for (let page = 0; page < maxPages; page++) {
        const { rows } = await pool.query<{ global_position: string }>(
          'SELECT * FROM raw_events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
          [after, pageSize],
        );
        read += rows.length;
        const last = rows[rows.length - 1];
        if (last) after = last.global_position;
        if (rows.length < pageSize) break;
      }
      return read;
    },
    close: () => pool.end(),
  };
}
