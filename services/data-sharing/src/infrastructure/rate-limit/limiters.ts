import type { Redis } from 'ioredis';
import type { RateDecision, RateLimiter } from '../../application/ports.js';

/** Fixed windows in process memory: the embedded default, and the fallback while Redis is away. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async take(key: string, limit: number, windowMs: number, cost = 1): Promise<RateDecision> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.evictExpired(now);
    }
    window.count += cost;
    return { allowed: window.count <= limit, retryAfterMs: window.count <= limit ? 0 : window.resetAt - now };
  }

  private evictExpired(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

/** INCRBY and, for the window's first call, PEXPIRE, atomically; returns the count and the time left. */
const TAKE = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * Fixed windows in Redis, shared by every instance. Refused calls count too, so hammering keeps a
 * caller out until the window ends. When Redis cannot answer, each instance falls back to its own
 * memory: the limit then holds per instance rather than not at all.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'data-sharing:rate:',
  ) {}

  async take(key: string, limit: number, windowMs: number, cost = 1): Promise<RateDecision> {
    try {
      const [count, ttl] = (await this.redis.eval(TAKE, 1, `${this.keyPrefix}${key}`, cost, windowMs)) as [
        number,
        number,
      ];
      return { allowed: count <= limit, retryAfterMs: count <= limit ? 0 : Math.max(ttl, 0) };
    } catch {
      return this.fallback.take(key, limit, windowMs, cost);
    }
  }
}
