/**
 * What a restart costs the built-in matcher, both ways (issue 22: persist the index, or rebuild it
 * at start?): loading `enr_fingerprint_index` rows into memory through the matcher itself, against
 * rebuilding from the gallery — reading each record through the vault (decrypting it), parsing it
 * and deriving its keys.
 *
 *   node services/enrollment/dist/bench/index-load.js   (ROWS, default 100,000; RECORDS, default 2,000)
 *
 * On a fresh PostgreSQL database: ROWS index rows of 131 random keys each (what a person files on
 * average), then the first search of a new matcher, which loads them all; and RECORDS real
 * encrypted ten-prints read back a page at a time as the backfill does. Prints one JSON line.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import { Database, EventStore } from '@cancuoc/eventstore';
import { syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import { createTestDatabase } from '@cancuoc/testing';
import { BiometricVault } from '../application/biometric-vault.js';
import { FeatureKeys } from '../domain/biometrics/candidate-index.js';
import { MINUTIAE_RECORD_MEDIA_TYPE, parseMinutiaeRecord } from '../domain/biometrics/iso19794-2.js';
import { LocalKeyProvider } from '../infrastructure/keys/local-key-provider.js';
import { BuiltInMatcher } from '../infrastructure/matcher/built-in-matcher.js';
import { enrollmentMigrations } from '../infrastructure/migrations/index.js';

const ROWS = Number(process.env['ROWS'] ?? 100_000);
const RECORDS = Number(process.env['RECORDS'] ?? 2_000);
const PAGE = 200;
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

const test = await createTestDatabase('enrollment_index_load');
const db = await Database.connect({
  databaseUrl: test.url,
  migrations: [...enrollmentMigrations, ...auditMigrations],
});
try {
  await db.migrate();
  const masterKeys = new LocalKeyProvider([randomBytes(32)]);
  const vault = new BiometricVault(masterKeys);
  const audit = new AuditLog(db, { chain: 'enrollment' });
  const store = new EventStore(db);

  let t = process.hrtime.bigint();
  for (let from = 0; from < ROWS; from += 10_000) {
    await db.query(
      `INSERT INTO enr_fingerprint_index (application_id, citizen_id, keys)
       SELECT gen_random_uuid(), gen_random_uuid(),
              (SELECT decode(string_agg(lpad(to_hex((random() * 4294967295)::bigint + 0 * g), 8, '0'), ''), 'hex')
               FROM generate_series(1, 131) AS g WHERE i > 0)
       FROM generate_series(1, $1) AS i`,
      [Math.min(10_000, ROWS - from)],
    );
  }
  const insertSeconds = ms(t) / 1000;
  const [size] = await db.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('enr_fingerprint_index')::text AS bytes`,
  );

  // A probe with no gallery around it: the first search loads every row, then compares no one.
  const record = parseMinutiaeRecord(tenPrintRecord(syntheticPerson(1)));
  const matcher = new BuiltInMatcher(db, vault, audit, masterKeys);
  const heapBefore = process.memoryUsage();
  t = process.hrtime.bigint();
  await matcher.search({
    applicationId: randomUUID(),
    citizenId: randomUUID(),
    prints: { kind: 'minutiae', record },
  });
  const loadSeconds = ms(t) / 1000;
  global.gc?.();
  const heapAfter = process.memoryUsage();

  // Rebuilding instead: real encrypted records, read, decrypted and parsed a page at a time, keyed.
  const references: string[] = [];
  await store.transaction(async (tx) => {
    for (let person = 1; person <= RECORDS; person++) {
      const ref = await vault.store(tx, {
        citizenId: randomUUID(),
        applicationId: randomUUID(),
        kind: 'fingerprints',
        bytes: tenPrintRecord(syntheticPerson(person)),
        mediaType: MINUTIAE_RECORD_MEDIA_TYPE,
        width: 400,
        height: 500,
      });
      references.push(ref.reference);
    }
  });
  const keys = new FeatureKeys(randomBytes(32));
  t = process.hrtime.bigint();
  for (let at = 0; at < references.length; at += PAGE) {
    const objects = await vault.readMany(db, references.slice(at, at + PAGE));
    for (const object of objects.values()) {
      if (object === 'destroyed') continue;
      const parsed = parseMinutiaeRecord(object.bytes);
      keys.enrolment(parsed.views, parsed.resolutionX);
    }
  }
  const rebuildMsPerRecord = ms(t) / RECORDS;

  process.stdout.write(
    `${JSON.stringify({
      rows: ROWS,
      insertSeconds: round(insertSeconds, 1),
      tableMb: Math.round(Number(size!.bytes) / 2 ** 20),
      loadSeconds: round(loadSeconds, 2),
      loadRowsPerSecond: Math.round(ROWS / loadSeconds),
      rssGrowthMb: Math.round((heapAfter.rss - heapBefore.rss) / 2 ** 20),
      rebuildFromVaultMsPerRecord: round(rebuildMsPerRecord, 3),
      rebuildFromVaultSecondsPerMillion: Math.round(rebuildMsPerRecord * 1000),
      loadSecondsPerMillion: round((loadSeconds * 1_000_000) / ROWS, 1),
    })}\n`,
  );
} finally {
  await db.close();
  await test.drop();
}
