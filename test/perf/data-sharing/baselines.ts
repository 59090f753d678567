import { create, toBinary } from '@bufbuild/protobuf';
import { partner } from '@cancuoc/proto';
import type pg from 'pg';

/** The fields of the benchmark's subscription, in both baselines and ours. */
export const BENCH_FIELDS = [
  partner.CitizenField.PERSONAL_ID,
  partner.CitizenField.NAME,
  partner.CitizenField.BIRTH_DATE,
  partner.CitizenField.SEX,
  partner.CitizenField.PERMANENT_RESIDENCE,
  partner.CitizenField.VITAL_STATUS,
];

/**
 * Baseline 1: the database alone builds the same view — the same fields of every living citizen —
 * as jsonb, one `INSERT … SELECT`. No Protobuf, no diff against what the agency holds, no queue,
 * no province resolution: the floor.
 */
export async function insertSelect(client: pg.Client): Promise<{ ms: number; rows: number }> {
  await client.query('DROP TABLE IF EXISTS bench_sql_view');
  await client.query('CREATE TABLE bench_sql_view (citizen_id uuid PRIMARY KEY, view jsonb NOT NULL)');
  const started = performance.now();
  const result = await client.query(
    `INSERT INTO bench_sql_view (citizen_id, view)
     SELECT citizen_id, jsonb_build_object(
       'citizenId', citizen_id, 'personalId', state->'record'->'personalId', 'name', state->'record'->'name',
       'birthDate', state->'record'->'birthDate', 'sex', state->'record'->'sex',
       'permanentResidence', state->'record'->'permanentResidence', 'vitalStatus', jsonb_build_object('deceased', false))
     FROM ds_citizens WHERE state->'record'->>'deathDate' IS NULL`,
  );
  return { ms: performance.now() - started, rows: result.rowCount ?? 0 };
}

interface Row {
  citizen_id: string;
  state: {
    record: {
      personalId: string;
      name: { familyName: string; middleName: string; givenName: string };
      birthDate: string;
      sex: string;
      permanentResidence: { provinceCode: string; communeCode: string; detail: string } | null;
      deathDate: string | null;
    };
  };
}

/**
 * Baseline 2: Node and `pg` alone: read the citizens in batches by key, encode the same
 * `cancuoc.partner.v1.PartnerCitizen` of each living one, write the bytes with a multi-row INSERT, one
 * transaction per batch. What a hand-written back-fill would do, without diffing against the
 * agency's view, queueing, the views lock or the resumable job.
 */
export async function nodeAndPg(client: pg.Client, batchSize: number): Promise<{ ms: number; rows: number }> {
  await client.query('DROP TABLE IF EXISTS bench_node_view');
  await client.query('CREATE TABLE bench_node_view (citizen_id uuid PRIMARY KEY, payload bytea NOT NULL)');
  const started = performance.now();
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    const { rows: batch } = (await client.query(
      `SELECT citizen_id::text AS citizen_id, state FROM ds_citizens
       WHERE citizen_id > coalesce($1::uuid, '00000000-0000-0000-0000-000000000000')
       ORDER BY ds_citizens.citizen_id LIMIT $2`,
      [after, batchSize],
    )) as { rows: Row[] };
    if (batch.length === 0) break;
    after = batch.at(-1)!.citizen_id;
    const ids: string[] = [];
    const payloads: string[] = [];
    for (const { citizen_id, state } of batch) {
      const r = state.record;
      if (r.deathDate !== null) continue;
      const message = create(partner.PartnerCitizenSchema, {
        citizenId: citizen_id,
        sharedFields: BENCH_FIELDS,
        personalId: r.personalId,
        name: r.name,
        birthDate: r.birthDate,
        sex: r.sex === 'male' ? partner.Sex.MALE : partner.Sex.FEMALE,
        permanentResidence: {
          address: r.permanentResidence ?? undefined,
          currentProvinceCode: r.permanentResidence?.provinceCode ?? '',
        },
        vitalStatus: { deceased: false },
      });
      ids.push(citizen_id);
      payloads.push(Buffer.from(toBinary(partner.PartnerCitizenSchema, message)).toString('hex'));
    }
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO bench_node_view (citizen_id, payload)
       SELECT u.id, decode(u.p, 'hex') FROM unnest($1::uuid[], $2::text[]) AS u(id, p)`,
      [ids, payloads],
    );
    await client.query('COMMIT');
    rows += ids.length;
  }
  return { ms: performance.now() - started, rows };
}
