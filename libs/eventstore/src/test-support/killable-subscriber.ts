/**
 * A subscriber process for the crash test: it projects events into `crash_effects` and, in the
 * batch after `--commit-batches` committed ones, writes its effects, says so on stdout and hangs
 * inside the open transaction until the test kills it.
 */
import { Database } from '../database.js';
import { EventStore } from '../event-store.js';
import { eventStoreMigrations } from '../migrations/index.js';
import { Subscription } from '../subscription.js';
import { CRASH_PROJECTION, recordCrashEffects } from './crash-projection.js';

const [location, commitBatchesArg] = process.argv.slice(2);
if (!location || !commitBatchesArg) throw new Error('usage: killable-subscriber <url|dir> <commit-batches>');
const commitBatches = Number(commitBatchesArg);

const db = await Database.connect({
  ...(location.startsWith('postgres') ? { databaseUrl: location } : { dataDir: location }),
  migrations: eventStoreMigrations,
});
const store = new EventStore(db);
let batches = 0;
const subscription = new Subscription(store, {
  ...CRASH_PROJECTION,
  handle: async (events, tx) => {
    await recordCrashEffects(events, tx);
    batches += 1;
    if (batches > commitBatches) {
      process.stdout.write('IN_BATCH\n');
      await new Promise(() => undefined);
    }
  },
});
await subscription.start();
