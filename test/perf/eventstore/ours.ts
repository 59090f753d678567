import { Database, EventStore, START, eventStoreMigrations } from '@cancuoc/eventstore';
import { ACTOR } from './payload.js';
import type { SystemUnderTest } from './workload.js';

/** Our event store, used the way a service uses it. */
export async function openOurs(databaseUrl: string, poolSize: number): Promise<SystemUnderTest> {
  const db = await Database.connect({
    databaseUrl,
    poolSize,
    applicationName: 'bench-ours',
    migrations: eventStoreMigrations,
  });
  await db.migrate();
  const store = new EventStore(db);
  return {
    async append(streamId, events, expectedVersion) {
      await store.appendToStream(streamId, events, {
        expectedVersion: expectedVersion === 0 ? 'no_stream' : expectedVersion,
        metadata: { actor: ACTOR },
      });
    },
    async readAll(pageSize, maxPages) {
      let after = START;
      let read = 0;
      for (let page = 0; page < maxPages; page++) {
        const { events, checkpoint } = await store.readAll({ after, limit: pageSize });
        read += events.length;
        after = checkpoint;
        if (events.length < pageSize) break;
      }
      return read;
    },
    close: () => db.close(),
  };
}
