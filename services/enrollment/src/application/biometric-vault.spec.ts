import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LocalKeyProvider } from '../infrastructure/keys/local-key-provider.js';
import { openEnrollmentDatabase, type EnrollmentDatabase } from '../test-support/database.js';
import { BiometricVault } from './biometric-vault.js';
import { BiometricIntegrityError, BiometricNotFoundError, BiometricsDestroyedError } from './errors.js';

const CITIZEN = '0192f000-0000-7000-8000-00000000c001';
const OTHER = '0192f000-0000-7000-8000-00000000c002';
const SHREDDED = '0192f000-0000-7000-8000-00000000c003';
const APPLICATION = '0192f000-0000-7000-8000-00000000a001';

describe('biometrics at rest (PostgreSQL)', () => {
  let database: EnrollmentDatabase;
  const master = randomBytes(32);
  const vault = new BiometricVault(new LocalKeyProvider([master]));
  const portrait = new TextEncoder().encode('a portrait the test can recognise: ÂÊÔ 0123456789'.repeat(20));

  before(async () => {
    database = await openEnrollmentDatabase();
  });
  after(() => database?.close());

  const store = (citizenId: string, bytes = portrait) =>
    database.db.transaction((tx) =>
      vault.store(tx, {
        citizenId,
        applicationId: APPLICATION,
        kind: 'face',
        bytes,
        mediaType: 'image/jpeg',
        width: 480,
        height: 640,
      }),
    );

  it('stores only ciphertext, under a wrapped per-citizen key, and reads back the clear bytes', async () => {
    const ref = await store(CITIZEN);
    assert.match(ref.sha256, /^[0-9a-f]{64}$/);
    const [row] = await database.db.query<{ ciphertext: Uint8Array; wrapped_key: Uint8Array }>(
      `SELECT b.ciphertext, k.wrapped_key FROM enr_biometrics b JOIN enr_data_keys k USING (citizen_id, key_version)
       WHERE b.reference = $1`,
      [ref.reference],
    );
    const stored = Buffer.from(row!.ciphertext);
    assert.equal(stored.includes(Buffer.from('a portrait the test')), false);
    assert.equal(Buffer.from(row!.wrapped_key).length, 12 + 16 + 32);
    const read = await vault.read(database.db, ref.reference);
    assert.deepEqual(Buffer.from(read.bytes), Buffer.from(portrait));
    assert.equal(read.ref.width, 480);
  });

  it('gives each citizen a key of their own, reused for their later captures', async () => {
    await store(CITIZEN);
    await store(OTHER);
    const rows = await database.db.query<{ citizen_id: string; n: string }>(
      'SELECT citizen_id, count(*)::text AS n FROM enr_data_keys GROUP BY citizen_id ORDER BY citizen_id',
    );
    assert.deepEqual(
      rows.map((r) => [r.citizen_id, r.n]),
      [
        [CITIZEN, '1'],
        [OTHER, '1'],
      ],
    );
  });

  it('refuses a ciphertext that was altered or moved to another row', async () => {
    const ref = await store(CITIZEN);
    await database.db.query(
      `UPDATE enr_biometrics SET ciphertext = overlay(ciphertext placing '\\x00'::bytea from 10 for 1) WHERE reference = $1`,
      [ref.reference],
    );
    await assert.rejects(vault.read(database.db, ref.reference), BiometricIntegrityError);
    const a = await store(CITIZEN);
    const b = await store(CITIZEN);
    await database.db.query(
      `UPDATE enr_biometrics SET (iv, ciphertext, auth_tag) = (SELECT iv, ciphertext, auth_tag FROM enr_biometrics WHERE reference = $2)
       WHERE reference = $1`,
      [a.reference, b.reference],
    );
    await assert.rejects(vault.read(database.db, a.reference), BiometricIntegrityError);
  });

  it('crypto-shredding: destroying the data key makes every copy unreadable; a new capture gets a new key', async () => {
    const before = await store(OTHER);
    const destroyed = await database.db.transaction((tx) => vault.destroyCitizenKeys(tx, OTHER));
    assert.equal(destroyed, 1);
    await assert.rejects(vault.read(database.db, before.reference), BiometricsDestroyedError);
    const [kept] = await database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM enr_biometrics WHERE citizen_id = $1',
      [OTHER],
    );
    assert.ok(Number(kept!.n) >= 1, 'the ciphertexts remain, unreadable');
    const after = await store(OTHER);
    assert.deepEqual(
      Buffer.from((await vault.read(database.db, after.reference)).bytes),
      Buffer.from(portrait),
    );
    await assert.rejects(vault.read(database.db, before.reference), BiometricsDestroyedError);
    await vault.read(database.db, (await store(CITIZEN)).reference);
  });

  it('reads many objects in one query: clear bytes each, `destroyed` after crypto-shredding, and no reference that names nothing', async () => {
    const second = new TextEncoder().encode('another capture'.repeat(50));
    const a = await store(CITIZEN);
    const b = await store(OTHER, second);
    const gone = await store(SHREDDED);
    await database.db.transaction((tx) => vault.destroyCitizenKeys(tx, SHREDDED));
    const many = await vault.readMany(database.db, [a.reference, b.reference, gone.reference]);
    assert.equal(many.size, 3);
    const first = many.get(a.reference);
    assert.ok(first && first !== 'destroyed');
    assert.deepEqual(Buffer.from(first.bytes), Buffer.from(portrait));
    assert.equal(first.citizenId, CITIZEN);
    const other = many.get(b.reference);
    assert.ok(other && other !== 'destroyed');
    assert.deepEqual(Buffer.from(other.bytes), Buffer.from(second));
    assert.equal(many.get(gone.reference), 'destroyed');
    assert.equal((await vault.readMany(database.db, [])).size, 0);
    await assert.rejects(
      vault.readMany(database.db, [a.reference, '0192f000-0000-7000-8000-0000000000ff']),
      BiometricNotFoundError,
    );
    await database.db.query(
      `UPDATE enr_biometrics SET ciphertext = overlay(ciphertext placing '\\x00'::bytea from 3 for 1) WHERE reference = $1`,
      [b.reference],
    );
    await assert.rejects(vault.readMany(database.db, [a.reference, b.reference]), BiometricIntegrityError);
  });

  it('reads data keys wrapped by an older master key after a rotation, and wraps new ones with the new key', async () => {
    const ref = await store(CITIZEN);
    const rotated = new BiometricVault(new LocalKeyProvider([randomBytes(32), master]));
    assert.deepEqual(
      Buffer.from((await rotated.read(database.db, ref.reference)).bytes),
      Buffer.from(portrait),
    );
    const stranger = new BiometricVault(new LocalKeyProvider([randomBytes(32)]));
    await assert.rejects(stranger.read(database.db, ref.reference), /not configured/);
  });
});
