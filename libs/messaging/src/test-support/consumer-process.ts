/**
 * An idempotent consumer in its own process, for the crash test: it kills itself right after the
 * transaction of its `crash-after`-th effect commits, before the transport can commit the offset.
 */
import { Database } from '@cancuoc/eventstore';
import { IdempotentConsumer } from '../consumer.js';
import { KafkaTransport } from '../kafka-transport.js';
import { TYPES, recordEffect } from './fixtures.js';

const [databaseUrl, brokers, topic, crashAfter] = process.argv.slice(2);
if (!databaseUrl || !brokers || !topic || !crashAfter) {
  throw new Error('usage: consumer-process <db-url> <brokers> <topic> <crash-after>');
}
const db = await Database.connect({ databaseUrl });
const effect = recordEffect('crash-consumer');
let effects = 0;
const consumer = new IdempotentConsumer({
  subscriber: 'crash-consumer',
  transport: new KafkaTransport({
    brokers: brokers.split(','),
    clientId: 'consumer-process',
    idempotent: false,
    sessionTimeoutMs: 6_000,
  }),
  db,
  topics: [topic],
  types: TYPES,
  handle: async (event, tx, record) => {
    await effect(event, tx, record);
    tx.afterCommit(() => {
      effects += 1;
      if (effects === Number(crashAfter)) process.kill(process.pid, 'SIGKILL');
    });
  },
});
await consumer.start();
