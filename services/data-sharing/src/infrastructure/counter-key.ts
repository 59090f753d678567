import { randomBytes } from 'node:crypto';
import type { Database } from '@cancuoc/eventstore';

/**
 * The key of the per-citizen verification counters (`ds_keys`, migration 0201): made by whichever
 * instance starts first, then read by every one. It used to be the shared token secret, which is
 * gone; a key of its own is rotated by deleting its row (the day's per-citizen counts restart).
 */
export async function counterKey(db: Database): Promise<Buffer> {
  await db.query(
    `INSERT INTO ds_keys (name, key) VALUES ('rate-counters', $1) ON CONFLICT (name) DO NOTHING`,
    [randomBytes(32)],
  );
  const [row] = await db.query<{ key: Uint8Array }>(`SELECT key FROM ds_keys WHERE name = 'rate-counters'`);
  if (!row) throw new Error('ds_keys holds no rate-counters key');
  return Buffer.from(row.key);
}
