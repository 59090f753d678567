import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { KeyProvider } from '../../application/ports.js';

const WRAP_CONTEXT = Buffer.from('cancuoc-enrollment-data-key:v1');

/**
 * A master key held by this process (embedded mode, development, tests): data keys are wrapped
 * with AES-256-GCM under it. Its id is derived from the key, so several keys can be configured
 * during a rotation and each wrap names the one that made it. In production a KMS or HSM
 * implements `KeyProvider` and the master key never enters the service's memory.
 */
export class LocalKeyProvider implements KeyProvider {
  private readonly keys = new Map<string, Buffer>();
  private readonly current: string;

  /** `masterKeys`: 32-byte keys, the first one wrapping new data keys. */
  constructor(masterKeys: readonly Uint8Array[]) {
    if (masterKeys.length === 0) throw new Error('a master key is required');
    for (const key of masterKeys) {
      if (key.length !== 32) throw new Error('master keys are 32 bytes (AES-256)');
      this.keys.set(LocalKeyProvider.idOf(key), Buffer.from(key));
    }
    this.current = LocalKeyProvider.idOf(masterKeys[0]!);
  }

  static idOf(key: Uint8Array): string {
    return `local:${createHash('sha256').update(WRAP_CONTEXT).update(key).digest('hex').slice(0, 16)}`;
  }

  async wrap(dataKey: Uint8Array): Promise<{ keyId: string; wrapped: Uint8Array }> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(WRAP_CONTEXT);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.current, wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  async unwrap(keyId: string, wrapped: Uint8Array): Promise<Uint8Array> {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`master key ${keyId} is not configured`);
    const bytes = Buffer.from(wrapped);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAAD(WRAP_CONTEXT);
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
  }
}
