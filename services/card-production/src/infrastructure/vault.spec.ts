import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Database } from '@cancuoc/eventstore';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { cardProductionMigrations } from './migrations/index.js';
import { EncryptedCardVault } from './vault.js';

const CARD = '0192f000-0000-7000-8000-00000000a001';
const OTHER = '0192f000-0000-7000-8000-00000000a002';

describe('vault (PostgreSQL)', () => {
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
});
