/**
 * A relay in its own process, for the crash tests. Prints `SENDING <n>` before each publish and
 * `ACKED <n>` after it. With `--crash-after-ack` it kills itself right after its first acknowledged
 * publish, before the checkpoint moves: the worst moment, which forces a re-send on restart.
 */
import { Database, EventStore } from '@cancuoc/eventstore';
import { KafkaTransport } from '../kafka-transport.js';
import { Relay } from '../relay.js';
import type { OutgoingRecord, Transport } from '../transport.js';
import { citizenMapper } from './fixtures.js';

const [databaseUrl, brokers, topic, mode] = process.argv.slice(2);
if (!databaseUrl || !brokers || !topic)
  throw new Error('usage: relay-process <db-url> <brokers> <topic> [--crash-after-ack]');

const kafka = new KafkaTransport({
  brokers: brokers.split(','),
  clientId: 'relay-process',
  idempotent: false,
});
let batches = 0;
/** Prints around each batch the relay hands to its publish sequence (the producer thread's). */
const announced =
  (publish: (records: readonly OutgoingRecord[]) => Promise<void>) =>
  async (records: readonly OutgoingRecord[]) => {
    const batch = (batches += 1);
    process.stdout.write(`SENDING ${batch}\n`);
    await publish(records);
    process.stdout.write(`ACKED ${batch}\n`);
    if (mode === '--crash-after-ack') process.kill(process.pid, 'SIGKILL');
  };
const transport: Transport = {
  kind: kafka.kind,
  publish: announced((records) => kafka.publish(records)),
  sequence: () => {
    const sequence = kafka.sequence();
    return { publish: announced((records) => sequence.publish(records)) };
  },
  subscribe: (options) => kafka.subscribe(options),
  endOffsets: (t) => kafka.endOffsets(t),
  committedOffsets: (g, t) => kafka.committedOffsets(g, t),
  close: () => kafka.close(),
};
const db = await Database.connect({ databaseUrl });
const relay = new Relay({
  name: 'crash-relay',
  source: '/cancuoc/test',
  store: new EventStore(db),
  transport,
  map: citizenMapper(topic),
  batchSize: 200,
});
await relay.start();
