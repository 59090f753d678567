import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { connectTestRedis, TEST_REDIS_URL } from './redis.js';

describe('test Redis', () => {
  it('gives each test its own key space on the real server and removes it on close', async () => {
    const a = await connectTestRedis();
    const b = await connectTestRedis();
    const raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      assert.notEqual(a.keyPrefix, b.keyPrefix);
      await a.client.set('citizen:1', 'a');
      await b.client.set('citizen:1', 'b');
      assert.equal(await a.client.get('citizen:1'), 'a');
      assert.equal(await b.client.get('citizen:1'), 'b');
      assert.equal(await raw.get(`${a.keyPrefix}citizen:1`), 'a', 'keys live under the prefix on the server');
      await a.close();
      assert.equal(await raw.exists(`${a.keyPrefix}citizen:1`), 0);
      assert.equal(await raw.get(`${b.keyPrefix}citizen:1`), 'b', 'closing one leaves the other alone');
    } finally {
      await b.close();
      raw.disconnect();
    }
  });

  it('says what to do when the server is unreachable', async () => {
    await assert.rejects(
      connectTestRedis('redis://127.0.0.1:1'),
      /not reachable at redis:\/\/127\.0\.0\.1:1.*ensure-services/,
    );
  });
});
