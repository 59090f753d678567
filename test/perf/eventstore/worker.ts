/**
 * One system under test, in a process of its own: Emmett's driver layer sets `pg` type parsers for
 * the whole process (bigint, JSON), which would otherwise change how the other systems decode rows.
 * The parent sends one request at a time, so the systems never run at the same moment.
 */
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import pg from 'pg';
import { openEmmett } from './emmett.js';
import { openOurs } from './ours.js';
import { citizenEvent } from './payload.js';
import { openRaw } from './raw.js';
import {
  eventsOf,
  runAppends,
  type Measurement,
  type Request,
  type Response,
  type SystemName,
  type SystemUnderTest,
} from './workload.js';

const FILL_BATCH = 100;

function send(message: Response): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())),
  );
}

async function open(name: SystemName, url: string, poolSize: number): Promise<SystemUnderTest> {
  if (name === 'ours') return openOurs(url, poolSize);
  if (name === 'emmett') return openEmmett(url, poolSize);
  return openRaw(url, poolSize);
}

async function main(): Promise<void> {
  const name = process.argv[2] as SystemName;
  const poolSize = Number(process.argv[3]);
  const database: TestDatabase = await createTestDatabase(`bench_${name}`);
  let system: SystemUnderTest;
  try {
    system = await open(name, database.url, poolSize);
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  let written = 0;

  const handle = async (request: Request): Promise<Measurement | null> => {
    switch (request.op) {
      case 'append': {
        if (request.warmup) {
          await runAppends(system, request.warmup);
          written += eventsOf(request.warmup);
        }
        const result = await runAppends(system, request.spec);
        written += result.events;
        return result;
      }
      case 'fill': {
        for (let k = 0; written < request.totalEvents; k++) {
          const count = Math.min(FILL_BATCH, request.totalEvents - written);
          const events = Array.from({ length: count }, (_, i) => citizenEvent(written + i));
          await system.append(`citizen-fill${k}`, events, 0);
          written += count;
        }
        // Hint bits, visibility map and statistics as autovacuum would leave them after the writes.
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        await client.query('VACUUM ANALYZE').finally(() => client.end());
        return null;
      }
      case 'readAll': {
        await system.readAll(request.pageSize, request.warmupPages);
        const cpu = process.cpuUsage();
        const started = performance.now();
        const events = await system.readAll(request.pageSize, Number.POSITIVE_INFINITY);
        const ms = performance.now() - started;
        const { user, system: sys } = process.cpuUsage(cpu);
        return {
          ms,
          appends: Math.ceil(events / request.pageSize),
          events,
          cpuUs: user + sys,
          logSize: written,
        };
      }
      case 'close':
        await system.close();
        await database.drop();
        return null;
    }
  };

  // Requests are handled strictly one after another.
  let queue = Promise.resolve();
  process.on('message', (request: Request) => {
    queue = queue.then(async () => {
      try {
        await send({ kind: 'done', id: request.id, result: await handle(request) });
      } catch (error) {
        await send({ kind: 'failed', id: request.id, error: (error as Error).stack ?? String(error) });
      }
      if (request.op === 'close') process.disconnect();
    });
  });
  await send({ kind: 'ready', database: database.name });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
