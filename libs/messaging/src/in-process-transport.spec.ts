import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Database } from '@cancuoc/eventstore';
import { createTestDatabase } from '@cancuoc/testing';
import { InProcessTransport } from './in-process-transport.js';
import { inProcessLogMigrations } from './migrations/index.js';
import { inProcessEnvironment } from './test-support/environments.js';
import { waitFor } from './test-support/fixtures.js';
import { transportContract } from './test-support/transport-contract.js';
import type { IncomingRecord, OutgoingRecord } from './transport.js';

transportContract('in-process (PGlite)', inProcessEnvironment);

const TOPIC = 'internal.test.ends.v1';
const record = (key: string): OutgoingRecord => ({
  topic: TOPIC,
  key,
  value: new TextEncoder().encode(key),
  headers: { ce_id: key },
});

/**
 * A pass reads only the partitions whose end offset, read once per publish for all subscribers, is
 * past the member's position. These check that nothing is missed for it: records another client of
 * the same log published, and records whose notification never came.
 */
describe('in-process transport: reading only partitions with new records', () => {
  const closing: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closing.reverse()) await close();
  });

  const open = async (databaseUrl?: string) => {
    const db = await Database.connect({ databaseUrl, migrations: inProcessLogMigrations });
    await db.migrate();
    closing.push(() => db.close());
    return db;
  };
  const transportOn = (db: Database) => {
    const transport = new InProcessTransport({ db, pollIntervalMs: 300 });
    closing.push(() => transport.close());
    return transport;
  };
  const collect = async (transport: InProcessTransport, group: string) => {
    const seen: IncomingRecord[] = [];
    await transport.subscribe({
      group,
      topics: [TOPIC],
      handle: async (r) => void seen.push(r),
    });
    return seen;
  };

  for (const backend of ['pglite', 'postgresql'] as const) {
    it(`delivers what another client of the same log published, with and without its notification (${backend})`, async () => {
      let databaseUrl: string | undefined;
      if (backend === 'postgresql') {
        const testDb = await createTestDatabase('mq_ends');
        closing.push(() => testDb.drop());
        databaseUrl = testDb.url;
      }
      const here = await open(databaseUrl);
      // On a server, a second process's own connection; embedded, the same database.
      const there = databaseUrl ? await open(databaseUrl) : here;
      const consumer = transportOn(here);
      await consumer.createTopics([{ name: TOPIC, partitions: 8, retentionMs: -1 }]);
      const seen = await collect(consumer, `g-${backend}`);

      const announced = transportOn(there);
      await announced.publish(['a1', 'a2', 'a3'].map(record));
      await waitFor('the announced records', () => seen.length === 3);

      // A publisher whose notifications are lost: only the consumer's poll can find its records.
      const silentDb = Object.create(there, { notify: { value: () => undefined } }) as Database;
      const silent = new InProcessTransport({ db: silentDb, pollIntervalMs: 300 });
      closing.push(() => silent.close());
      await silent.publish(['s1', 's2'].map(record));
      await waitFor('the unannounced records, at the next poll', () => seen.length === 5, 5_000);

      // Caught up, a pass reads only the partition that has something new, not all eight.
      const reads: number[] = [];
      const read = consumer.read.bind(consumer);
      consumer.read = (topic, partition, offset, limit) => {
        reads.push(partition);
        return read(topic, partition, offset, limit);
      };
      await announced.publish([record('a4')]);
      await waitFor('the last record', () => seen.length === 6);
      const last = seen.at(-1)!;
      assert.equal(last.key, 'a4');
      assert.deepEqual([...new Set(reads)], [last.partition]);
      assert.deepEqual(seen.map((r) => r.key).sort(), ['a1', 'a2', 'a3', 'a4', 's1', 's2']);
      assert.equal(new Set(seen.map((r) => `${r.partition}/${r.offset}`)).size, 6);
    });
  }
});
