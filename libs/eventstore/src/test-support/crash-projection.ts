import type { Tx } from '../database.js';
import type { RecordedEvent } from '../types.js';

/** The crash test's projection, shared by the process that is killed and the one that resumes. */
export const CRASH_PROJECTION = { name: 'crash-projection', batchSize: 10 } as const;

/** One row per event with a counter, so a second effect of the same event shows as times = 2. */
export async function recordCrashEffects(events: readonly RecordedEvent[], tx: Tx): Promise<void> {
  for (const e of events) {
    await tx.query(
      `INSERT INTO crash_effects (event_id, times) VALUES ($1, 1)
       ON CONFLICT (event_id) DO UPDATE SET times = crash_effects.times + 1`,
      [e.eventId],
    );
  }
}
