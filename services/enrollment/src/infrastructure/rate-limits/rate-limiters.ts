import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../application/ports.js';

/**
 * Fixed windows in Redis (`INCR` then `PEXPIRE` on the first call of a window), shared by every
 * replica. Redis unreachable lets the call through: the limit is a brake, not the source of truth,
 * and enrollment must not stop at every station because a cache is down. `failures` counts those.
 */
export class RedisRateLimiter implements RateLimiter {
  failures = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'enrollment:rate:',
  ) {}

  async allow(key: string, limit: number, windowMs: number): Promise<boolean> {
    const window = Math.floor(Date.now() / windowMs);
    const name = `${this.prefix}${key}:${window}`;
    try {
      const count = await this.redis.incr(name);
      if (count === 1) await this.redis.pexpire(name, windowMs);
      return count <= limit;
    } catch {
      this.failures += 1;
      return true;
    }
  }
}

/** The embedded default: the same windows in this process. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  async allow(key: string, limit: number, windowMs: number): Promise<boolean> {
    const window = Math.floor(Date.now() / windowMs);
    const entry = this.windows.get(key);
    const current = entry && entry.window === window ? entry : { window, count: 0 };
    current.count += 1;
    this.windows.set(key, current);
    if (this.windows.size > 10_000) {
      for (const [k, v] of this.windows) if (v.window !== window) this.windows.delete(k);
    }
    return current.count <= limit;
  }
}
