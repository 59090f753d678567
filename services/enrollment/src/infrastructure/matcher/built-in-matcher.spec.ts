/**
 * The built-in matcher on enrollment's real schema, in PostgreSQL and in PGlite: the candidate
 * index is filed, loaded, caught up and emptied the way the pipeline and erasure drive it.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import { Database, EventStore } from '@cancuoc/eventstore';
import { reimpressed, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import { createTestDatabase } from '@cancuoc/testing';
import { BiometricVault } from '../../application/biometric-vault.js';
import { MINUTIAE_RECORD_MEDIA_TYPE, parseMinutiaeRecord } from '../../domain/biometrics/iso19794-2.js';
import { LocalKeyProvider } from '../keys/local-key-provider.js';
import { enrollmentMigrations } from '../migrations/index.js';
import { BuiltInMatcher } from './built-in-matcher.js';

const placement = { rotation: -20, dx: 18, dy: 22, jitter: 3, angleJitter: 3, dropped: 0.15, spurious: 0.15 };
const migrations = [...enrollmentMigrations, ...auditMigrations];

interface Backend {
  readonly name: string;
  open(): Promise<{ db: Database; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL',
    async open() {
      const test = await createTestDatabase('enrollment_matcher');
      const db = await Database.connect({ databaseUrl: test.url, migrations });
      await db.migrate();
      return {
        db,
        async close() {
          await db.close();
          await test.drop();
        },
      };
    },
  },
  {
    name: 'PGlite',
    async open() {
      const db = await Database.connect({ migrations });
      await db.migrate();
      return { db, close: () => db.close() };
    },
  },
];

for (const backend of backends) {
  describe(`built-in matcher with its candidate index (${backend.name})`, () => {
    let db: Database;
    let close: () => Promise<void>;
    let store: EventStore;
    const masterKeys = new LocalKeyProvider([randomBytes(32)]);
    const vault = new BiometricVault(masterKeys);
    let audit: AuditLog;
    let matcher: BuiltInMatcher;
    const citizens = new Map<number, string>();

    before(async () => {
      ({ db, close } = await backend.open());
      store = new EventStore(db);
      audit = new AuditLog(db, { chain: 'enrollment' });
      matcher = new BuiltInMatcher(db, vault, audit, masterKeys);
    });
    after(() => close());

    /** An application with the prints of person `seed` (a second impression with `impression`). */
    async function apply(seed: number, stage: string, impression?: number) {
      const applicationId = randomUUID();
      const citizenId = randomUUID();
      const fingers =
        impression === undefined
          ? syntheticPerson(seed)
          : reimpressed(syntheticPerson(seed), impression, placement);
      const bytes = tenPrintRecord(fingers);
      await store.transaction(async (tx) => {
        const ref = await vault.store(tx, {
          citizenId,
          applicationId,
          kind: 'fingerprints',
          bytes,
          mediaType: MINUTIAE_RECORD_MEDIA_TYPE,
          width: 400,
          height: 500,
        });
        await tx.query(
          `INSERT INTO enr_applications (application_id, station_id, stage, reason, personal_id, citizen_id, version,
                                         started_at, stage_entered_at, fingerprints_ref, state)
           VALUES ($1, 'station-1', $2, 'first-card', $3, $4, 1, now(), now(), $5, '{}'::jsonb)`,
          [applicationId, stage, `0${seed}`.padStart(12, '0'), citizenId, ref.reference],
        );
      });
      const probe = {
        applicationId,
        citizenId,
        prints: { kind: 'minutiae' as const, record: parseMinutiaeRecord(bytes) },
      };
      return { applicationId, citizenId, probe };
    }

    const setStage = (applicationId: string, stage: string) =>
      db.query('UPDATE enr_applications SET stage = $2, version = version + 1 WHERE application_id = $1', [
        applicationId,
        stage,
      ]);
    const auditedReads = async (detail: string, value: string) => {
      const [row] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM audit_entries WHERE action = 'fingerprints.read' AND detail ->> $1 = $2`,
        [detail, value],
      );
      return Number(row!.n);
    };
    const indexRows = async (where: string, params: unknown[]) => {
      const [row] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM enr_fingerprint_index WHERE ${where}`,
        params,
      );
      return Number(row!.n);
    };

    it('indexes the gallery enrolled before it, then compares a probe with a few candidates only', async () => {
      for (let seed = 1; seed <= 40; seed++)
        citizens.set(seed, (await apply(seed, seed % 2 ? 'completed' : 'submitted')).citizenId);
      const { probe } = await apply(7, 'duplicate-check', 700);
      const result = await matcher.search(probe);
      assert.equal(result.candidates[0]?.citizenId, citizens.get(7), JSON.stringify(result));
      assert.ok(result.comparedWith >= 1 && result.comparedWith <= 10, `compared ${result.comparedWith}`);
      assert.equal(await auditedReads('for', 'fingerprint-index'), 40);
      // Only the compared were decrypted, and each read was audited.
      assert.equal(await auditedReads('probeApplicationId', probe.applicationId), result.comparedWith);
      // The probe itself is filed now, for the searches after it.
      assert.equal(await indexRows('application_id = $1', [probe.applicationId]), 1);
    });

    it('finds nobody for a person not enrolled, comparing next to no one', async () => {
      const { probe } = await apply(500, 'duplicate-check', 1);
      const result = await matcher.search(probe);
      assert.deepEqual(result.candidates, []);
      assert.ok(result.comparedWith <= 2, `compared ${result.comparedWith}`);
    });

    it('counts a filed application once it enters the gallery, not before', async () => {
      const first = await apply(600, 'duplicate-check');
      assert.deepEqual((await matcher.search(first.probe)).candidates, []);
      const again = await apply(600, 'duplicate-check', 601);
      assert.deepEqual((await matcher.search(again.probe)).candidates, []);
      await setStage(first.applicationId, 'adjudication');
      const found = await matcher.search({ ...again.probe, applicationId: randomUUID() });
      assert.equal(found.candidates[0]?.citizenId, first.citizenId);
    });

    it('catches up with another instance’s filings, and a restart loads the index without rereading', async () => {
      const other = new BuiltInMatcher(db, vault, audit, masterKeys);
      const enrolled = await apply(700, 'duplicate-check');
      await other.search(enrolled.probe);
      await setStage(enrolled.applicationId, 'review');
      const probe = (await apply(700, 'duplicate-check', 701)).probe;
      assert.equal((await matcher.search(probe)).candidates[0]?.citizenId, enrolled.citizenId);
      const backfilled = await auditedReads('for', 'fingerprint-index');
      const restarted = new BuiltInMatcher(db, vault, audit, masterKeys);
      const result = await restarted.search({ ...probe, applicationId: randomUUID() });
      assert.equal(result.candidates[0]?.citizenId, enrolled.citizenId);
      assert.equal(await auditedReads('for', 'fingerprint-index'), backfilled);
    });

    it('leaves the probe citizen’s own earlier applications out', async () => {
      const renewal = (await apply(9, 'duplicate-check', 900)).probe;
      const result = await matcher.search({ ...renewal, citizenId: citizens.get(9)! });
      assert.ok(!result.candidates.some((c) => c.citizenId === citizens.get(9)));
    });

    it('drops the keys of erased citizens and of applications closed without enrolling', async () => {
      const citizenId = citizens.get(11)!;
      assert.equal(await indexRows('citizen_id = $1', [citizenId]), 1);
      await store.transaction((tx) => vault.destroyCitizenKeys(tx, citizenId));
      assert.equal(await indexRows('citizen_id = $1', [citizenId]), 0);
      const probe = (await apply(11, 'duplicate-check', 1100)).probe;
      assert.ok(!(await matcher.search(probe)).candidates.some((c) => c.citizenId === citizenId));

      const rejected = await apply(800, 'duplicate-check');
      await matcher.search(rejected.probe);
      assert.equal(await indexRows('application_id = $1', [rejected.applicationId]), 1);
      await setStage(rejected.applicationId, 'rejected');
      assert.equal(await indexRows('application_id = $1', [rejected.applicationId]), 0);
    });

    it('keeps the index secret wrapped: another master key cannot use the index', async () => {
      const [row] = await db.query<{ wrapped_key: Uint8Array }>(
        'SELECT wrapped_key FROM enr_fingerprint_index_key',
      );
      assert.ok(row && row.wrapped_key.length > 32);
      const stranger = new LocalKeyProvider([randomBytes(32)]);
      const probe = (await apply(3, 'duplicate-check', 300)).probe;
      await assert.rejects(new BuiltInMatcher(db, vault, audit, stranger).search(probe), /not configured/);
    });
  });
}
