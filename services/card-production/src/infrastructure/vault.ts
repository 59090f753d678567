import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SqlExecutor, Tx } from '@cancuoc/eventstore';
import type { CardVault, VaultItem } from '../application/ports.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

function seal(key: Uint8Array, plaintext: Uint8Array, aad: Buffer) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

function open(
  key: Uint8Array,
  sealed: { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array },
  aad: Buffer,
) {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
}

/**
 * The vault in PostgreSQL: each item sealed with AES-256-GCM under its own random data key, the data
 * key sealed under the service's key-encryption key (from the key directory or
 * `CARD_PRODUCTION_DATA_KEY`), both bound to the card and item as associated data, so a row copied
 * onto another card does not open. A database dump without the key-encryption key reveals nothing.
 */
export class EncryptedCardVault implements CardVault {
  private readonly keyId: string;

  constructor(private readonly kek: Uint8Array) {
    if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
    this.keyId = createHash('sha256').update(kek).digest('hex').slice(0, 16);
  }

  async put(tx: Tx, cardId: string, item: VaultItem, plaintext: Uint8Array): Promise<void> {
    const aad = Buffer.from(`${cardId}/${item}`);
    const dataKey = randomBytes(32);
    const data = seal(dataKey, plaintext, aad);
    const wrapped = seal(this.kek, dataKey, aad);
    await tx.query(
      `INSERT INTO cp_vault (card_id, item, key_id, wrapped_key, iv, ciphertext, tag) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (card_id, item) DO UPDATE SET key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key,
         iv = EXCLUDED.iv, ciphertext = EXCLUDED.ciphertext, tag = EXCLUDED.tag, created_at = now()`,
      [
        cardId,
        item,
        this.keyId,
        Buffer.concat([wrapped.iv, wrapped.tag, wrapped.ciphertext]),
        data.iv,
        data.ciphertext,
        data.tag,
      ],
    );
  }

  async get(db: SqlExecutor, cardId: string, item: VaultItem): Promise<Uint8Array | undefined> {
    const [row] = await db.query<{
      key_id: string;
      wrapped_key: Buffer;
      iv: Buffer;
      ciphertext: Buffer;
      tag: Buffer;
    }>('SELECT key_id, wrapped_key, iv, ciphertext, tag FROM cp_vault WHERE card_id = $1 AND item = $2', [
      cardId,
      item,
    ]);
    if (!row) return undefined;
    if (row.key_id !== this.keyId)
      throw new Error(`vault item sealed under key ${row.key_id}, not the key in use`);
    const aad = Buffer.from(`${cardId}/${item}`);
    const wrapped = Buffer.from(row.wrapped_key);
    const dataKey = open(
      this.kek,
      {
        iv: wrapped.subarray(0, IV_BYTES),
        tag: wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
        ciphertext: wrapped.subarray(IV_BYTES + TAG_BYTES),
      },
      aad,
    );
    return new Uint8Array(open(dataKey, { iv: row.iv, ciphertext: row.ciphertext, tag: row.tag }, aad));
  }

  async purge(tx: Tx, cardId: string, items: readonly VaultItem[]): Promise<void> {
    await tx.query('DELETE FROM cp_vault WHERE card_id = $1 AND item = ANY ($2::text[])', [cardId, items]);
  }
}
