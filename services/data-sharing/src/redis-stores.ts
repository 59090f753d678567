import type { Provider } from '@nestjs/common';
import { InMemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '@cancuoc/grpc';
import { REDIS } from '@cancuoc/runtime';
import type { Redis } from 'ioredis';
import type { RateLimiter } from './application/ports.js';
import { MemoryRateLimiter, RedisRateLimiter } from './infrastructure/rate-limit/limiters.js';

export const LIMITER = Symbol('RateLimiter');
export const IDEMPOTENCY = Symbol('IdempotencyStore');

/**
 * The rate limits and idempotency results, in Redis under `keyPrefix` when there is one (shared by
 * every replica), in process memory otherwise.
 */
export function redisStoreProviders(keyPrefix: string): Provider[] {
  return [
    {
      provide: LIMITER,
      useFactory: (redis: Redis | undefined): RateLimiter =>
        redis ? new RedisRateLimiter(redis, `${keyPrefix}rate:`) : new MemoryRateLimiter(),
      inject: [REDIS],
    },
    {
      provide: IDEMPOTENCY,
      useFactory: (redis: Redis | undefined): IdempotencyStore =>
        redis
          ? new RedisIdempotencyStore(redis, { keyPrefix: `${keyPrefix}idempotency:` })
          : new InMemoryIdempotencyStore(),
      inject: [REDIS],
    },
  ];
}
