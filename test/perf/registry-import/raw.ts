import { newEventId } from '@cancuoc/eventstore';
import type pg from 'pg';
import { copyFrom, copyValue } from './copy-from.js';
import type { PopulationRow } from '@cancuoc/synthetic';

/**
 * The tables an import writes, with the columns, keys and indexes of the registry's migrations
 * (0001-event-store and 0100-registry): the baselines write where the import writes, minus the rules.
 */
export const RAW_SCHEMA = `
  CREATE TABLE es_streams (
    stream_id text PRIMARY KEY,
    version integer NOT NULL CHECK (version >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  ) WITH (fillfactor = 80);
  CREATE TABLE es_events (
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
  CREATE INDEX es_events_global_order ON es_events (transaction_id, global_position);
  CREATE TABLE reg_personal_ids (
    personal_id text PRIMARY KEY,
    citizen_id uuid NOT NULL UNIQUE,
    allocated_at timestamptz NOT NULL DEFAULT now()
  );`;

export type RawMethod = 'insert' | 'copy';

const ACTOR = 'service:registry-import';

interface RawEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
}

/**
 * The events the import records for a row, built straight from it: `CitizenRegistered` and
 * `PermanentResidenceRegistered` with the decider's payloads, parents resolved from `ids`.
 */
function eventsOf(
  row: PopulationRow,
  citizenId: string,
  today: string,
  ids: ReadonlyMap<string, string>,
): RawEvent[] {
  const streamId = `citizen-${citizenId}`;
  return [
    {
      eventId: newEventId(),
      streamId,
      version: 1,
      type: 'CitizenRegistered',
      data: {
        personalId: row.personal_id,
        registration: 'initial-collection',
        familyName: row.family_name,
        middleName: row.middle_name,
        givenName: row.given_name,
        birthDate: row.birth_date,
        sex: row.sex,
        nationality: row.nationality,
        ethnicity: row.ethnicity,
        religion: row.religion,
        birthPlace: { provinceCode: row.birth_province, communeCode: row.birth_commune, detail: '' },
        homeTown: { provinceCode: row.home_town_province, communeCode: row.home_town_commune, detail: '' },
        fatherCitizenId: ids.get(row.father_personal_id) ?? null,
        motherCitizenId: ids.get(row.mother_personal_id) ?? null,
        registeredOn: today,
      },
    },
    {
      eventId: newEventId(),
      streamId,
      version: 2,
      type: 'PermanentResidenceRegistered',
      data: {
        address: {
          provinceCode: row.residence_province,
          communeCode: row.residence_commune,
          detail: row.residence_detail,
        },
        since: today,
      },
    },
  ];
}

async function insertBatch(client: pg.PoolClient, ids: string[], citizenIds: string[], events: RawEvent[]) {
  await client.query(
    'INSERT INTO reg_personal_ids (personal_id, citizen_id) SELECT * FROM unnest($1::text[], $2::uuid[])',
    [ids, citizenIds],
  );
  await client.query(
    'INSERT INTO es_streams (stream_id, version) SELECT * FROM unnest($1::text[], $2::int[])',
    [citizenIds.map((c) => `citizen-${c}`), citizenIds.map(() => 2)],
  );
  await client.query(
    `INSERT INTO es_events (event_id, stream_id, stream_version, event_type, data, correlation_id, actor)
     SELECT e.event_id, e.stream_id, e.version, e.event_type, d.data, $6::uuid, $7
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS e(event_id, stream_id, version, event_type, ord)
     JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS d(data, ord) USING (ord)
     ORDER BY e.ord`,
    [
      events.map((e) => e.eventId),
      events.map((e) => e.streamId),
      events.map((e) => e.version),
      events.map((e) => e.type),
      JSON.stringify(events.map((e) => e.data)),
      newEventId(),
      ACTOR,
    ],
  );
}

async function copyBatch(client: pg.PoolClient, ids: string[], citizenIds: string[], events: RawEvent[]) {
  await copyFrom(
    client,
    'COPY reg_personal_ids (personal_id, citizen_id) FROM STDIN',
    ids.map((id, i) => `${copyValue(id)}\t${citizenIds[i]}\n`).join(''),
  );
  await copyFrom(
    client,
    'COPY es_streams (stream_id, version) FROM STDIN',
    citizenIds.map((c) => `citizen-${c}\t2\n`).join(''),
  );
  const correlationId = newEventId();
  await copyFrom(
    client,
    'COPY es_events (event_id, stream_id, stream_version, event_type, data, correlation_id, actor) FROM STDIN',
    events
      .map(
        (e) =>
          `${e.eventId}\t${copyValue(e.streamId)}\t${e.version}\t${e.type}\t${copyValue(JSON.stringify(e.data))}\t` +
          `${correlationId}\t${ACTOR}\n`,
      )
      .join(''),
  );
}

/**
 * Writes the rows' events with nothing but `pg`: per batch one transaction claiming the numbers,
 * creating the streams and inserting the events, `concurrency` transactions at once — the same
 * shape as the import, with no parsing, no rules, no duplicate or parent lookups, no progress row.
 * `ids` maps personal ids to citizen ids across calls, for parents in earlier parts. Returns ms.
 */
export async function writeRaw(
  pool: pg.Pool,
  rows: readonly PopulationRow[],
  options: {
    method: RawMethod;
    batchSize: number;
    concurrency: number;
    today: string;
    ids: Map<string, string>;
  },
): Promise<number> {
  const write = options.method === 'copy' ? copyBatch : insertBatch;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const from = next;
      next += options.batchSize;
      if (from >= rows.length) return;
      const batch = rows.slice(from, from + options.batchSize);
      const citizenIds = batch.map(() => newEventId());
      batch.forEach((r, i) => options.ids.set(r.personal_id, citizenIds[i]!));
      const events = batch.flatMap((r, i) => eventsOf(r, citizenIds[i]!, options.today, options.ids));
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await write(
          client,
          batch.map((r) => r.personal_id),
          citizenIds,
          events,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return performance.now() - started;
}
