import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The server the tests use: `TEST_REDIS_URL`, or the machine's own Redis. */
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  readonly url: string;
  /** Every key a test writes starts with this, so parallel test files never collide. */
  readonly keyPrefix: string;
  readonly client: Redis;
  /** Deletes the test's keys and disconnects. */
  close(): Promise<void>;
}

export async function connectTestRedis(url = TEST_REDIS_URL): Promise<TestRedis> {
  const keyPrefix = `test:${randomBytes(6).toString('hex')}:`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, keyPrefix });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Redis is not reachable at ${url} (${(error as Error).message}); ` +
        'start it with scripts/ensure-services.sh or set TEST_REDIS_URL',
    );
  }
  return {
    url,
    keyPrefix,
    client,
    async close() {
      // SCAN patterns are not prefixed by ioredis, the keys it returns are: delete them unprefixed.
      const raw = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        for (let cursor = '0'; ;) {
          const [next, keys] = await raw.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          if (keys.length > 0) await raw.del(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      } finally {
        raw.disconnect();
        client.disconnect();
      }
    },
  };
}
