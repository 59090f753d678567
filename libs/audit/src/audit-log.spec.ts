import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Database } from '@cancuoc/eventstore';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { AuditLog, AuditRecordError, type AuditRecord } from './audit-log.js';
import { entryHash, GENESIS_HASH } from './chain-hash.js';
import { auditMigrations } from './migrations/index.js';

const read = (subjectId: string, n = 0): AuditRecord => ({
  actor: 'agency:moh',
  action: 'citizen.read',
  purpose: 'health insurance enrolment (Law 25/2008/QH12)',
  subjectId,
  fields: ['family_name', 'birth_date'],
  detail: { request: `r-${n}`, position: n },
});

interface Backend {
  readonly name: string;
  open(): Promise<{ db: Database; url?: string; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'postgresql',
    async open() {
      const testDb: TestDatabase = await createTestDatabase('audit_test');
      const db = await Database.connect({
        databaseUrl: testDb.url,
        poolSize: 20,
        migrations: auditMigrations,
      });
      await db.migrate();
      return {
        db,
        url: testDb.url,
        close: async () => {
          await db.close();
          await testDb.drop();
        },
      };
    },
  },
  {
    name: 'pglite',
    async open() {
      const db = await Database.connect({ migrations: auditMigrations });
      await db.migrate();
      return { db, close: () => db.close() };
    },
  },
];

for (const backend of backends) {
  describe(`audit log on ${backend.name}`, () => {
    let env: Awaited<ReturnType<Backend['open']>>;
    before(async () => {
      env = await backend.open();
    });
    after(() => env.close());

    it('records in the caller transaction: a rolled-back access leaves no entry', async () => {
      const audit = new AuditLog(env.db, { chain: 'rollback' });
      await assert.rejects(
        env.db.transaction(async (tx) => {
          await audit.record(read('citizen-a'), tx);
          throw new Error('the access failed');
        }),
        /the access failed/,
      );
      await env.db.transaction((tx) => audit.record(read('citizen-b'), tx));
      assert.equal(await audit.seal(), 1);
      assert.deepEqual(
        (await audit.forSubject('citizen-a')).length + (await audit.forSubject('citizen-b')).length,
        1,
      );
    });

    it('chains entries so that anyone can re-derive the hashes, and verify agrees', async () => {
      const audit = new AuditLog(env.db, { chain: 'rederive', sealBatchSize: 3 });
      // More than ten, so that any ordering by text instead of number would show.
      await audit.recordMany(Array.from({ length: 23 }, (_, i) => read(`citizen-${i % 2}`, i)));
      assert.equal(await audit.seal(), 23);
      const verification = await audit.verify(4);
      assert.equal(verification.ok, true);
      assert.equal(verification.sealed, 23n);

      // An auditor's own derivation, from the documented canonical form, reaches the same head.
      const rows = await env.db.query<{ seq: string; at: string; subject_id: string; detail: string }>(
        `SELECT seq::text AS seq, subject_id, detail::text AS detail,
                to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
           FROM audit_entries WHERE chain = 'rederive' ORDER BY audit_entries.seq`,
      );
      let prev: Buffer = GENESIS_HASH;
      for (const row of rows) {
        prev = entryHash(prev, {
          chain: 'rederive',
          seq: BigInt(row.seq),
          recordedAt: row.at,
          actor: 'agency:moh',
          action: 'citizen.read',
          purpose: read('x').purpose,
          subjectId: row.subject_id,
          fields: ['family_name', 'birth_date'],
          detailText: row.detail,
        });
      }
      assert.equal(prev.toString('hex'), (await audit.head()).hash);
    });

    it('refuses to change or delete an entry, sealed or not', async () => {
      const audit = new AuditLog(env.db, { chain: 'guarded' });
      await audit.recordMany([read('citizen-g', 1), read('citizen-g', 2)]);
      await env.db.query(
        `UPDATE audit_entries SET seq = 1, prev_hash = '\\x00', hash = '\\x00'
          WHERE id = (SELECT min(id) FROM audit_entries WHERE chain = 'guarded')`,
      );
      await assert.rejects(
        env.db.query(`UPDATE audit_entries SET seq = 5, prev_hash = '\\x00', hash = '\\x00', actor = 'x'
                       WHERE chain = 'guarded' AND seq IS NULL`),
        /sets only its seq/,
      );
      await assert.rejects(
        env.db.query(`UPDATE audit_entries SET purpose = 'other' WHERE chain = 'guarded' AND seq = 1`),
        /never changes/,
      );
      await assert.rejects(env.db.query(`DELETE FROM audit_entries WHERE chain = 'guarded'`), /append-only/);
      await assert.rejects(env.db.query(`TRUNCATE audit_entries`), /append-only/);
    });

    it('tells a citizen every access concerning them, sealed or still waiting for the sealer', async () => {
      const audit = new AuditLog(env.db, { chain: 'subject' });
      await audit.record(read('citizen-s', 1));
      await audit.seal();
      await audit.record({ ...read('citizen-s', 2), actor: 'agency:mof', fields: ['permanent_residence'] });
      await audit.record(read('someone-else', 3));
      const entries = await audit.forSubject('citizen-s');
      assert.deepEqual(
        entries.map((e) => [e.actor, e.fields, e.seq === null]),
        [
          ['agency:moh', ['family_name', 'birth_date'], false],
          ['agency:mof', ['permanent_residence'], true],
        ],
      );
      assert.deepEqual(entries[0]!.detail, { request: 'r-1', position: 1 });
    });

    it('refuses a record without actor, purpose or field names', async () => {
      const audit = new AuditLog(env.db, { chain: 'invalid' });
      await assert.rejects(audit.record({ ...read('c'), purpose: ' ' }), AuditRecordError);
      await assert.rejects(audit.record({ ...read('c'), actor: '' }), AuditRecordError);
      await assert.rejects(audit.record({ ...read('c'), fields: [''] }), AuditRecordError);
    });

    it('the background sealer chains what commits, and stop seals the rest', async () => {
      const audit = new AuditLog(env.db, { chain: 'background', sealIntervalMs: 60_000 });
      audit.start();
      await env.db.transaction((tx) => audit.record(read('citizen-bg', 1), tx));
      const deadline = Date.now() + 20_000;
      while ((await audit.head()).seq < 1n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(
        (await audit.head()).seq,
        1n,
        'a commit wakes the sealer without waiting for the interval',
      );
      await audit.record(read('citizen-bg', 2));
      await audit.stop();
      const verification = await audit.verify();
      assert.ok(verification.ok);
      assert.equal(verification.sealed, 2n);
      assert.equal(verification.unsealed, 0);
    });
  });
}

describe('audit log tampering, detected (PostgreSQL, as a superuser who bypasses the guard)', () => {
  let env: Awaited<ReturnType<Backend['open']>>;
  let admin: pg.Client;
  before(async () => {
    env = await backends[0]!.open();
    admin = new pg.Client({ connectionString: env.url });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await env.close();
  });

  /** Runs `sql` with user triggers off, as only a superuser could. */
  async function tamper(sql: string): Promise<void> {
    await admin.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
    try {
      await admin.query(sql);
    } finally {
      await admin.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    }
  }

  async function chainOf(name: string, n: number): Promise<AuditLog> {
    const audit = new AuditLog(env.db, { chain: name });
    await audit.recordMany(Array.from({ length: n }, (_, i) => read(`citizen-${i}`, i)));
    await audit.seal();
    assert.equal((await audit.verify()).ok, true);
    return audit;
  }

  it('an edited field breaks that entry’s hash', async () => {
    const audit = await chainOf('edited', 10);
    await tamper(`UPDATE audit_entries SET fields = '{family_name}' WHERE chain = 'edited' AND seq = 4`);
    assert.deepEqual(await audit.verify(), { ok: false, sealed: 3n, brokenAt: 4n, reason: 'HASH_MISMATCH' });
  });

  it('an edited field with a correctly recomputed hash breaks the next link', async () => {
    const audit = await chainOf('rehashed', 12);
    const { rows } = await admin.query<{ at: string; subject_id: string; detail: string; prev_hash: Buffer }>(
      `SELECT subject_id, detail::text AS detail, prev_hash,
              to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM audit_entries WHERE chain = 'rehashed' AND seq = 6`,
    );
    const row = rows[0]!;
    const forged = entryHash(row.prev_hash, {
      chain: 'rehashed',
      seq: 6n,
      recordedAt: row.at,
      actor: 'agency:moh',
      action: 'citizen.read',
      purpose: 'nothing to see here',
      subjectId: row.subject_id,
      fields: ['family_name', 'birth_date'],
      detailText: row.detail,
    });
    await tamper(
      `UPDATE audit_entries SET purpose = 'nothing to see here', hash = '\\x${forged.toString('hex')}'
        WHERE chain = 'rehashed' AND seq = 6`,
    );
    assert.deepEqual(await audit.verify(), {
      ok: false,
      sealed: 6n,
      brokenAt: 7n,
      reason: 'PREVIOUS_HASH_MISMATCH',
    });
  });

  it('a removed entry is a gap; a cut-off tail disagrees with the head', async () => {
    const gap = await chainOf('gap', 10);
    await tamper(`DELETE FROM audit_entries WHERE chain = 'gap' AND seq = 5`);
    assert.deepEqual(await gap.verify(), { ok: false, sealed: 4n, brokenAt: 5n, reason: 'SEQUENCE_GAP' });

    const tail = await chainOf('tail', 10);
    await tamper(`DELETE FROM audit_entries WHERE chain = 'tail' AND seq > 8`);
    assert.deepEqual(await tail.verify(), { ok: false, sealed: 8n, brokenAt: 9n, reason: 'HEAD_MISMATCH' });
  });

  it('many writers at once: every committed entry is sealed exactly once, in one unbroken chain', async () => {
    const audit = new AuditLog(env.db, { chain: 'concurrent', sealBatchSize: 50 });
    audit.start();
    await Promise.all(
      Array.from({ length: 16 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 20; i++) {
            await env.db.transaction((tx) =>
              audit.recordMany([read(`w${w}`, i), read(`w${w}`, i + 100)], tx),
            );
          }
        })(),
      ),
    );
    await audit.stop();
    const verification = await audit.verify();
    assert.ok(verification.ok);
    assert.equal(verification.sealed, 640n);
  });

  it('verify, while the sealer chains more entries, still finds the chain sound', async () => {
    const audit = new AuditLog(env.db, { chain: 'verified-while-sealing', sealBatchSize: 7 });
    await audit.recordMany(Array.from({ length: 300 }, (_, i) => read(`v${i}`, i)));
    await audit.seal();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await audit.recordMany([read(`late${i}`, i)]);
        await audit.seal();
      }
    })();
    try {
      for (let round = 0; round < 20; round++) {
        const verification = await audit.verify(25);
        assert.equal(
          verification.ok,
          true,
          `round ${round}: ${JSON.stringify(verification, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      }
    } finally {
      writing = false;
      await writer;
    }
  });
});
