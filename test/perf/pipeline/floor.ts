/**
 * The floor under the pipeline: for each citizen, the commits the four services' databases made
 * and the Kafka records they produced, done directly — single-row INSERT commits with raw `pg` on
 * the same PostgreSQL, single-record sends with a raw kafkajs producer to the same broker — with
 * the same number of citizens in flight. The pipeline cannot be faster than this; its time over the
 * floor's says how much of it is our own work.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { createTestDatabase } from '@cancuoc/testing';

export interface FloorWork {
  readonly citizens: number;
  readonly concurrency: number;
  /** Commits in all, over every database (spread evenly over the citizens). */
  readonly commits: number;
  /** Kafka records in all. */
  readonly records: number;
  readonly brokers: readonly string[];
  /** A topic of the broker to send to (one of the services' is fine once they have stopped). */
  readonly topic: string;
}

export interface Floor {
  readonly ms: number;
  /** Connections the raw commits shared: at most the PostgreSQL server's room for them. */
  readonly connections: number;
}

/** Most connections the floor opens: the server is shared (max_connections 100 on the dev VM). */
const MAX_CONNECTIONS = 20;
/** Bytes of each raw row and of each raw record's value. */
const ROW_BYTES = 300;
const RECORD_BYTES = 500;

/** How many of `total` fall to citizen `index` of `count`, so that they add up to `total`. */
const share = (total: number, count: number, index: number) =>
  Math.floor(((index + 1) * total) / count) - Math.floor((index * total) / count);

export async function measureFloor(work: FloorWork): Promise<Floor> {
  const database = await createTestDatabase('bench_floor');
  const connections = Math.min(work.concurrency, MAX_CONNECTIONS);
  const pool = new pg.Pool({ connectionString: database.url, max: connections });
  // An idle connection's error (the database dropped under it) is not the floor's: a query's is.
  pool.on('error', () => undefined);
  const kafka = new Kafka({
    clientId: 'bench-floor',
    brokers: [...work.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: false });
  try {
    await pool.query(
      'CREATE TABLE floor_rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL)',
    );
    await producer.connect();
    const row = randomBytes(ROW_BYTES / 2).toString('hex');
    const value = randomBytes(RECORD_BYTES);
    // Warm: every connection open, the producer's metadata fetched.
    await Promise.all(Array.from({ length: connections }, () => pool.query('SELECT 1')));
    await producer.send({ topic: work.topic, messages: [{ key: 'warm', value }] });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(work.concurrency, work.citizens) }, async () => {
        for (let citizen = next++; citizen < work.citizens; citizen = next++) {
          for (let i = share(work.commits, work.citizens, citizen); i > 0; i--)
            await pool.query('INSERT INTO floor_rows (payload) VALUES ($1)', [row]);
          for (let i = share(work.records, work.citizens, citizen); i > 0; i--)
            await producer.send({ topic: work.topic, acks: -1, messages: [{ key: `c${citizen}`, value }] });
        }
      }),
    );
    return { ms: performance.now() - started, connections };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await pool.end();
    await database.drop();
  }
}
