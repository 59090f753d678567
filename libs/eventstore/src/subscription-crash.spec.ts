import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@cancuoc/testing';
import { Database } from './database.js';
import { EventStore } from './event-store.js';
import { eventStoreMigrations } from './migrations/index.js';
import { Subscription } from './subscription.js';
import { CRASH_PROJECTION, recordCrashEffects } from './test-support/crash-projection.js';
import { drain } from './test-support/drain.js';

const child = fileURLToPath(new URL('./test-support/killable-subscriber.js', import.meta.url));
const metadata = { actor: 'test:writer' };
const EVENTS = 100;

/** Starts the subscriber process and SIGKILLs it while its 4th batch is written but not committed. */
async function killMidBatch(location: string): Promise<void> {
  const proc = spawn(process.execPath, [child, location, '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`subscriber never reached its 4th batch: ${stderr}`)),
      60_000,
    );
    proc.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('IN_BATCH')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => reject(new Error(`subscriber exited early (${code}): ${stderr}`)));
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

async function scenario(connect: () => Promise<Database>, location: string): Promise<void> {
  let db = await connect();
  await db.migrate();
  await db.query('CREATE TABLE crash_effects (event_id uuid PRIMARY KEY, times int NOT NULL)');
  const store = new EventStore(db);
  for (let i = 0; i < EVENTS; i += 5) {
    const batch = Array.from({ length: 5 }, (_, j) => ({ type: 'E', data: { n: i + j } }));
    await store.appendToStream(`crash-${i % 7}`, batch, { metadata });
  }
  if (location.startsWith('postgres')) {
    await killMidBatch(location);
  } else {
    // PGlite is one process's database: let go of the folder while the subscriber has it.
    await db.close();
    await killMidBatch(location);
    db = await connect();
  }
  try {
    const committed = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM crash_effects');
    assert.equal(committed[0]!.n, 30, 'three batches of ten committed before the kill, the fourth did not');

    const resumed = new Subscription(new EventStore(db), { ...CRASH_PROJECTION, handle: recordCrashEffects });
    const [last] = await db.query<{ pos: string }>('SELECT max(global_position)::text AS pos FROM es_events');
    await drain(resumed, async () => (await resumed.checkpoint()).position === BigInt(last!.pos));
    const rows = await db.query<{ times: number }>(
      'SELECT e.event_id, c.times FROM es_events e LEFT JOIN crash_effects c USING (event_id)',
    );
    assert.equal(rows.length, EVENTS);
    assert.deepEqual(
      rows.filter((r) => r.times !== 1),
      [],
      'every event has exactly one effect',
    );
  } finally {
    await db.close();
  }
}

describe('a subscriber killed mid-batch', () => {
  it('resumes on PostgreSQL without loss or double effect', async () => {
    const testDb = await createTestDatabase('es_crash');
    try {
      await scenario(
        () => Database.connect({ databaseUrl: testDb.url, migrations: eventStoreMigrations }),
        testDb.url,
      );
    } finally {
      await testDb.drop();
    }
  });

  it('resumes on PGlite (a data folder) without loss or double effect', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'es-crash-'));
    try {
      await scenario(() => Database.connect({ dataDir: dir, migrations: eventStoreMigrations }), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
