import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { newEventId, type SqlExecutor, type Tx } from '@cancuoc/eventstore';
import type { BiometricRef } from '../domain/application/events.js';
import { BiometricIntegrityError, BiometricNotFoundError, BiometricsDestroyedError } from './errors.js';
import type { KeyProvider } from './ports.js';

export type BiometricKind = 'face' | 'fingerprints';

export interface NewBiometric {
  readonly citizenId: string;
  readonly applicationId: string;
  readonly kind: BiometricKind;
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
}

export interface StoredBiometric {
  readonly ref: BiometricRef;
  readonly citizenId: string;
  readonly applicationId: string;
  readonly kind: BiometricKind;
  readonly bytes: Uint8Array;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Binds a ciphertext to its row: moved to another reference, citizen or kind, it fails to decrypt. */
const associatedData = (reference: string, citizenId: string, kind: BiometricKind, keyVersion: number) =>
  Buffer.from(`cancuoc-biometric:v1:${reference}:${citizenId}:${kind}:${keyVersion}`);

interface BiometricRow {
  reference: string;
  citizen_id: string;
  key_version: number;
  application_id: string;
  kind: BiometricKind;
  media_type: string;
  sha256: string;
  size: number;
  width: number;
  height: number;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  auth_tag: Uint8Array;
  master_key_id: string;
  wrapped_key: Uint8Array | null;
}

const SELECT_BIOMETRIC = `SELECT b.reference::text AS reference, b.citizen_id, b.key_version, b.application_id, b.kind,
         b.media_type, b.sha256, b.size, b.width, b.height, b.iv, b.ciphertext, b.auth_tag, k.master_key_id, k.wrapped_key
  FROM enr_biometrics b JOIN enr_data_keys k USING (citizen_id, key_version)`;

interface KeyRow {
  key_version: number;
  master_key_id: string;
  wrapped_key: Uint8Array | null;
}

/**
 * Biometrics at rest (architecture decision 9): each object encrypted with AES-256-GCM under its
 * citizen's data key, the data key stored only wrapped by the master key of the `KeyProvider`.
 * Destroying a citizen's data keys (crypto-shredding) makes every object encrypted under them
 * unreadable, in this database and in every backup of it, without finding and deleting each copy.
 * Outside this class only references and SHA-256 hashes circulate.
 */
export class BiometricVault {
  constructor(private readonly keys: KeyProvider) {}

  /** Encrypts and stores an object in the caller's transaction; the reference names it from then on. */
  async store(tx: Tx, object: NewBiometric): Promise<BiometricRef> {
    const { version, key } = await this.currentKey(tx, object.citizenId);
    const reference = newEventId();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(reference, object.citizenId, object.kind, version));
    const ciphertext = Buffer.concat([cipher.update(object.bytes), cipher.final()]);
    const ref: BiometricRef = {
      reference,
      sha256: sha256(object.bytes),
      mediaType: object.mediaType,
      size: object.bytes.length,
      width: object.width,
      height: object.height,
    };
    await tx.query(
      `INSERT INTO enr_biometrics (reference, citizen_id, key_version, application_id, kind, media_type, sha256, size,
                                   width, height, iv, ciphertext, auth_tag)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        reference,
        object.citizenId,
        version,
        object.applicationId,
        object.kind,
        ref.mediaType,
        ref.sha256,
        ref.size,
        ref.width,
        ref.height,
        iv,
        ciphertext,
        cipher.getAuthTag(),
      ],
    );
    return ref;
  }

  /** Decrypts an object and checks it against its recorded SHA-256. */
  async read(db: SqlExecutor, reference: string): Promise<StoredBiometric> {
    const [row] = await db.query<BiometricRow>(`${SELECT_BIOMETRIC} WHERE b.reference = $1`, [reference]);
    if (!row) throw new BiometricNotFoundError();
    if (!row.wrapped_key) throw new BiometricsDestroyedError();
    return this.decrypt(row, row.wrapped_key);
  }

  /**
   * `read` for many objects in one query (the 1:N matcher's gallery, say). Each reference maps to
   * its object, or to `destroyed` when its citizen's keys were destroyed; a reference that names
   * nothing fails the whole call, as does any object that fails its integrity check.
   */
  async readMany(
    db: SqlExecutor,
    references: readonly string[],
  ): Promise<Map<string, StoredBiometric | 'destroyed'>> {
    const found = new Map<string, StoredBiometric | 'destroyed'>();
    if (references.length === 0) return found;
    const rows = await db.query<BiometricRow>(`${SELECT_BIOMETRIC} WHERE b.reference = ANY ($1::uuid[])`, [
      [...references],
    ]);
    for (const row of rows)
      found.set(row.reference, row.wrapped_key ? await this.decrypt(row, row.wrapped_key) : 'destroyed');
    if (references.some((reference) => !found.has(reference))) throw new BiometricNotFoundError();
    return found;
  }

  private async decrypt(row: BiometricRow, wrappedKey: Uint8Array): Promise<StoredBiometric> {
    const { reference } = row;
    const key = await this.keys.unwrap(row.master_key_id, wrappedKey);
    let bytes: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(row.iv));
      decipher.setAAD(associatedData(reference, row.citizen_id, row.kind, row.key_version));
      decipher.setAuthTag(Buffer.from(row.auth_tag));
      bytes = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]);
    } catch {
      throw new BiometricIntegrityError();
    }
    if (sha256(bytes) !== row.sha256) throw new BiometricIntegrityError();
    return {
      ref: {
        reference,
        sha256: row.sha256,
        mediaType: row.media_type,
        size: row.size,
        width: row.width,
        height: row.height,
      },
      citizenId: row.citizen_id,
      applicationId: row.application_id,
      kind: row.kind,
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    };
  }

  /**
   * Crypto-shredding: forgets every data key of the citizen. Their biometrics stay stored but can
   * never be decrypted again; the next capture for the citizen gets a new key. Returns the keys
   * destroyed.
   */
  async destroyCitizenKeys(tx: Tx, citizenId: string): Promise<number> {
    const rows = await tx.query(
      `UPDATE enr_data_keys SET wrapped_key = NULL, destroyed_at = now()
       WHERE citizen_id = $1 AND wrapped_key IS NOT NULL RETURNING key_version`,
      [citizenId],
    );
    return rows.length;
  }

  /** The citizen's live data key, made (and wrapped) on first use or after its destruction. */
  private async currentKey(tx: Tx, citizenId: string): Promise<{ version: number; key: Uint8Array }> {
    // Serialises key creation per citizen, so two captures never make two live keys.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`enrollment-data-key:${citizenId}`]);
    const [latest] = await tx.query<KeyRow>(
      `SELECT key_version, master_key_id, wrapped_key FROM enr_data_keys
       WHERE citizen_id = $1 ORDER BY key_version DESC LIMIT 1`,
      [citizenId],
    );
    if (latest?.wrapped_key) {
      return {
        version: latest.key_version,
        key: await this.keys.unwrap(latest.master_key_id, latest.wrapped_key),
      };
    }
    const key = randomBytes(32);
    const { keyId, wrapped } = await this.keys.wrap(key);
    const version = (latest?.key_version ?? 0) + 1;
    await tx.query(
      'INSERT INTO enr_data_keys (citizen_id, key_version, master_key_id, wrapped_key) VALUES ($1, $2, $3, $4)',
      [citizenId, version, keyId, Buffer.from(wrapped)],
    );
    return { version, key };
  }
}
