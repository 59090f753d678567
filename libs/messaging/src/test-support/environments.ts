import { Database, EventStore, eventStoreMigrations } from '@cancuoc/eventstore';
import { createTestDatabase, startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import { InProcessTransport } from '../in-process-transport.js';
import { KafkaTransport } from '../kafka-transport.js';
import { inboxMigrations, inProcessLogMigrations } from '../migrations/index.js';
import type { Transport } from '../transport.js';

/** A topic the tests publish to, with its dead-letter topic created beside it. */
export interface TestTopic {
  readonly name: string;
  readonly partitions: number;
}

/** One transport with an event store and an effects database, as a service would have them. */
export interface MessagingEnvironment {
  readonly name: 'kafka' | 'in-process';
  readonly transport: Transport;
  readonly store: EventStore;
  readonly db: Database;
  /** A second client of the same transport, as another process would have. */
  newTransport(): Transport;
  /** How a child process reaches the same database and broker. */
  readonly location: { readonly databaseUrl?: string; readonly brokers?: readonly string[] };
  readonly broker: KafkaBroker | undefined;
  close(): Promise<void>;
}

const withDeadLetters = (topics: readonly TestTopic[]) =>
  topics.flatMap((t) => [t, { name: `${t.name}.dlq`, partitions: t.partitions }]);

async function migrated(options: { databaseUrl?: string }): Promise<Database> {
  const db = await Database.connect({
    ...options,
    poolSize: 10,
    migrations: [...eventStoreMigrations, ...inboxMigrations, ...inProcessLogMigrations],
  });
  await db.migrate();
  return db;
}

/** Kafka: the Kafka-protocol test broker, with the event store and inbox on PostgreSQL. */
export async function kafkaEnvironment(topics: readonly TestTopic[]): Promise<MessagingEnvironment> {
  const broker = await startKafkaBroker({ topics: withDeadLetters(topics), brokers: 3 });
  const testDb = await createTestDatabase('msg_test');
  const db = await migrated({ databaseUrl: testDb.url });
  const transports: Transport[] = [];
  const newTransport = () => {
    const transport = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'cancuoc-test',
      idempotent: false,
      requestTimeoutMs: 5_000,
      sessionTimeoutMs: 10_000,
    });
    transports.push(transport);
    return transport;
  };
  return {
    name: 'kafka',
    transport: newTransport(),
    store: new EventStore(db),
    db,
    newTransport,
    location: { databaseUrl: testDb.url, brokers: broker.bootstrapServers },
    broker,
    async close() {
      await Promise.all(transports.map((t) => t.close()));
      await db.close();
      await testDb.drop();
      await broker.stop();
    },
  };
}

/** The embedded default: PGlite holds the event store, the inbox and the transport's log. */
export async function inProcessEnvironment(topics: readonly TestTopic[]): Promise<MessagingEnvironment> {
  const db = await migrated({});
  const transports: InProcessTransport[] = [];
  const newTransport = () => {
    const transport = new InProcessTransport({ db, pollIntervalMs: 200 });
    transports.push(transport);
    return transport;
  };
  const transport = newTransport();
  await transport.createTopics(withDeadLetters(topics).map((t) => ({ ...t, retentionMs: -1 })));
  return {
    name: 'in-process',
    transport,
    store: new EventStore(db),
    db,
    newTransport,
    location: {},
    broker: undefined,
    async close() {
      await Promise.all(transports.map((t) => t.close()));
      await db.close();
    },
  };
}
