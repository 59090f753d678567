import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Database } from '@cancuoc/eventstore';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { PostgresAuditLog, verifyAuditChain } from './audit-log.js';
import { cardProductionMigrations } from './migrations/index.js';
import { EncryptedCardVault } from './vault.js';

const CARD = '0192f000-0000-7000-8000-00000000a001';
const OTHER = '0192f000-0000-7000-8000-00000000a002';

describe('vault and audit log (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let db: Database;
  before(async () => {
    testDb = await createTestDatabase('card_production_vault');
    db = await Database.connect({ databaseUrl: testDb.url, migrations: cardProductionMigrations });
    await db.migrate();
  });
  after(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('keeps data sealed: nothing of it in the row, opened only with the key and for its own card', async () => {
    const vault = new EncryptedCardVault(randomBytes(32));
    const secret = Buffer.from('{"familyName":"Nguyễn","religion":"Không"}');
    await db.transaction((tx) => vault.put(tx, CARD, 'register-data', secret));
    assert.deepEqual(Buffer.from((await vault.get(db, CARD, 'register-data'))!), secret);
    const [row] = await db.query<{ ciphertext: Buffer; wrapped_key: Buffer }>(
      'SELECT ciphertext, wrapped_key FROM cp_vault WHERE card_id = $1',
      [CARD],
    );
    assert.ok(!Buffer.from(row!.ciphertext).includes(Buffer.from('Nguyễn')));
    await assert.rejects(new EncryptedCardVault(randomBytes(32)).get(db, CARD, 'register-data'), /key/);
    // A row moved onto another card does not open: card and item are bound in as associated data.
    await db.query(
      `INSERT INTO cp_vault (card_id, item, key_id, wrapped_key, iv, ciphertext, tag)
                    SELECT $2, item, key_id, wrapped_key, iv, ciphertext, tag FROM cp_vault WHERE card_id = $1`,
      [CARD, OTHER],
    );
    await assert.rejects(vault.get(db, OTHER, 'register-data'));
    await db.transaction((tx) => vault.purge(tx, CARD, ['register-data']));
    assert.equal(await vault.get(db, CARD, 'register-data'), undefined);
  });

  it('chains every access, refuses changes, and shows where a chain was broken', async () => {
    const audit = new PostgresAuditLog();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.transaction((tx) =>
          audit.record(
            tx,
            {
              actor: `station:s${i}`,
              action: 'chip-files.released',
              cardId: CARD,
              detail: { leaseId: `l${i}`, stationId: `s${i}` },
            },
            new Date(),
          ),
        ),
      ),
    );
    assert.equal(await verifyAuditChain(db), undefined, 'concurrent writers still make one chain');
    await assert.rejects(db.query(`UPDATE cp_audit_log SET actor = 'someone else'`), /append-only/);
    await assert.rejects(db.query('DELETE FROM cp_audit_log'), /append-only/);
    // Someone with the power to lift the trigger edits a row: the chain shows it.
    await db.query('ALTER TABLE cp_audit_log DISABLE TRIGGER cp_audit_log_append_only');
    await db.query(`UPDATE cp_audit_log SET actor = 'station:forged' WHERE seq = 3`);
    await db.query('ALTER TABLE cp_audit_log ENABLE TRIGGER cp_audit_log_append_only');
    assert.equal(await verifyAuditChain(db), 3);
  });
});
