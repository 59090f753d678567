import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IdempotencyStore } from './idempotency.js';

/** Deletes the claim only if it is still ours (it may have expired and been taken by another call). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RedisIdempotencyStoreOptions {
  /** Prefix of every key the store writes. Default `idempotency:`. */
  readonly keyPrefix?: string;
}

/**
 * Idempotency records in Redis, shared by every replica of a service: results under
 * `<prefix>result:<key>` (SET PX), claims under `<prefix>claim:<key>` taken with SET NX PX and
 * released with a compare-and-delete script. Losing Redis loses only the replay window.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #prefix: string;

  constructor(
    private readonly redis: Redis,
    options: RedisIdempotencyStoreOptions = {},
  ) {
    this.#prefix = options.keyPrefix ?? 'idempotency:';
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.redis.getBuffer(`${this.#prefix}result:${key}`);
    return value ?? undefined;
  }

  async put(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    await this.redis.set(`${this.#prefix}result:${key}`, bytes, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async claim(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const ok = await this.redis.set(
      `${this.#prefix}claim:${key}`,
      token,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
      'NX',
    );
    return ok === 'OK' ? token : undefined;
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, `${this.#prefix}claim:${key}`, token);
  }
}
