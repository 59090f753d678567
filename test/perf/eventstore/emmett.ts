import { dumbo } from '@event-driven-io/dumbo';
import type { Event } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { ACTOR, uuidv7, type CitizenRegistered } from './payload.js';
import type { SystemUnderTest } from './workload.js';

type EmmettCitizenRegistered = Event<
  'CitizenRegistered',
  CitizenRegistered,
  { actor: string; correlationId: string }
>;

/**
 * Emmett 0.42 on PostgreSQL, given a pool as large as ours. Reads go through `readMessagesBatch`,
 * the call Emmett's own consumers page the log with.
 */
export async function openEmmett(connectionString: string, poolSize: number): Promise<SystemUnderTest> {
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: 'bench-emmett' });
  // An idle connection the server ends (the database being dropped at the end) must not crash the run.
  pool.on('error', () => undefined);
  const executor = dumbo({ connectionString, pool });
  const store = getPostgreSQLEventStore(connectionString, { connectionOptions: { dumbo: executor } });
  await store.schema.migrate();
  return {
    async append(streamId, events, expectedVersion) {
      const metadata = { actor: ACTOR, correlationId: uuidv7() };
      await store.appendToStream<EmmettCitizenRegistered>(
        streamId,
        events.map((e) => ({ type: e.type, data: e.data, metadata })),
        // 0n makes Emmett insert the stream row, so an existing stream fails the append.
        { expectedStreamVersion: BigInt(expectedVersion) },
      );
    },
    async readAll(pageSize, maxPages) {
      let after = 0n;
      let read = 0;
      for (let page = 0; page < maxPages; page++) {
        const batch = await readMessagesBatch(executor.execute, { after, batchSize: pageSize });
        read += batch.messages.length;
        after = batch.currentGlobalPosition;
        if (!batch.areMessagesLeft) break;
      }
      return read;
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
