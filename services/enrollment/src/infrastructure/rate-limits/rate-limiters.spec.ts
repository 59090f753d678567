import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connectTestRedis, type TestRedis } from '@cancuoc/testing';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limiters.js';

describe('per-station rate limits', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await connectTestRedis();
  });
  after(() => redis?.close());

  it('Redis: allows the limit per window and key, shared by every replica', async () => {
    const a = new RedisRateLimiter(redis.client);
    const b = new RedisRateLimiter(redis.client);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await (i % 2 ? a : b).allow('start:hn-07', 3, 3_600_000));
    assert.deepEqual(outcomes, [true, true, true, false, false]);
    assert.equal(await a.allow('start:hn-08', 3, 3_600_000), true);
  });

  it('Redis unreachable: calls go through, and the failures are counted', async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    down.on('error', () => undefined);
    const limiter = new RedisRateLimiter(down);
    try {
      assert.equal(await limiter.allow('start:hn-07', 1, 60_000), true);
      assert.equal(await limiter.allow('start:hn-07', 1, 60_000), true);
      assert.equal(limiter.failures, 2);
    } finally {
      down.disconnect();
    }
  });

  it('memory: the same windows in one process', async () => {
    const limiter = new MemoryRateLimiter();
    assert.deepEqual(
      [
        await limiter.allow('k', 2, 3_600_000),
        await limiter.allow('k', 2, 3_600_000),
        await limiter.allow('k', 2, 3_600_000),
      ],
      [true, true, false],
    );
  });
});
