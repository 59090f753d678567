/**
 * Audit log benchmark: recording accesses with `AuditLog.recordMany` (in the callers'
 * transactions, several writers at once), sealing them into the hash chain, and verifying the
 * chain — beside raw `pg` inserting the same rows into an unchained table of the same shape, in
 * the same batches and with the same writers, in the same run.
 *
 *   npm run bench:audit          (BENCH_SCALE multiplies the 200,000 entries)
 */
import { Database } from '@cancuoc/eventstore';
import { AuditLog, auditMigrations, type AuditRecord } from '@cancuoc/audit';
import { createTestDatabase } from '@cancuoc/testing';
import pg from 'pg';

const SCALE = Number(process.env['BENCH_SCALE'] ?? 1);
const ENTRIES = Math.round(200_000 * SCALE);
const BATCH = 1_000;
const WRITERS = 4;

const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');

function batchOf(start: number): AuditRecord[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    actor: 'agency:moh',
    action: 'partner.delivery',
    purpose: 'health insurance enrolment (Law 25/2008/QH12)',
    subjectId: `0190a4b2-1234-7abc-8def-${String(start + i).padStart(12, '0')}`,
    fields: ['family_name', 'given_name', 'birth_date', 'permanent_residence'],
    detail: { position: start + i },
  }));
}

/** Runs `write(batchStart)` for every batch, `WRITERS` at a time; the elapsed milliseconds. */
async function timed(write: (start: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < ENTRIES) {
        const start = next;
        next += BATCH;
        await write(start);
      }
    }),
  );
  return performance.now() - started;
}

const testDb = await createTestDatabase('bench_audit');
const db = await Database.connect({
  databaseUrl: testDb.url,
  poolSize: WRITERS + 2,
  migrations: auditMigrations,
});
const raw = new pg.Pool({ connectionString: testDb.url, max: WRITERS });
try {
  await db.migrate();
  await raw.query(`CREATE TABLE raw_access (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL, action text NOT NULL, purpose text NOT NULL, subject_id text, fields text[] NOT NULL, detail jsonb)`);
  await raw.query('CREATE INDEX raw_access_subject ON raw_access (subject_id, recorded_at)');

  const audit = new AuditLog(db, { chain: 'bench' });
  const oursMs = await timed((start) => db.transaction((tx) => audit.recordMany(batchOf(start), tx)));
  const rawMs = await timed(async (start) => {
    const rows = batchOf(start);
    await raw.query(
      `INSERT INTO raw_access (actor, action, purpose, subject_id, fields, detail)
       SELECT u.a, u.b, u.c, u.d, ARRAY(SELECT jsonb_array_elements_text(u.f)), u.g
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[]) AS u(a, b, c, d, f, g)`,
      [
        rows.map((r) => r.actor),
        rows.map((r) => r.action),
        rows.map((r) => r.purpose),
        rows.map((r) => r.subjectId),
        rows.map((r) => JSON.stringify(r.fields)),
        rows.map((r) => JSON.stringify(r.detail)),
      ],
    );
  });
  let started = performance.now();
  await audit.seal();
  const sealMs = performance.now() - started;
  started = performance.now();
  const verification = await audit.verify();
  const verifyMs = performance.now() - started;
  if (!verification.ok || verification.sealed !== BigInt(ENTRIES))
    throw new Error('the chain did not verify');

  process.stdout.write(
    [
      `Audit log, ${ENTRIES.toLocaleString('en-US')} entries, batches of ${BATCH}, ${WRITERS} writers`,
      '',
      '| Step | Cancuoc AuditLog entries/s | raw pg INSERT (unchained) entries/s | ours/raw |',
      '| --- | ---: | ---: | ---: |',
      `| record in the callers' transactions | ${rate(ENTRIES, oursMs)} | ${rate(ENTRIES, rawMs)} | ${(rawMs / oursMs).toFixed(2)}× |`,
      `| seal into the hash chain (one sealer) | ${rate(ENTRIES, sealMs)} | — | |`,
      `| verify the whole chain | ${rate(ENTRIES, verifyMs)} | — | |`,
      '',
    ].join('\n'),
  );
} finally {
  await raw.end();
  await db.close();
  await testDb.drop();
}
