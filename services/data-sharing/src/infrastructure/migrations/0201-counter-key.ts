import { Migration } from '@mikro-orm/migrations';

/**
 * `ds_keys`: keys data sharing makes for itself, one row each. `rate-counters` keys the hash by
 * which the per-citizen verification limit names a personal id number in its counters (Redis holds
 * the hash, never the number). It lives beside the citizens' rows, which hold the numbers anyway,
 * so every instance uses the same one and whoever reads only Redis cannot reverse the hashes. Not a
 * projection: losing it only restarts the day's per-citizen counts.
 */
export class CounterKeySchema extends Migration {
  override name = '0201-counter-key';

  override up(): void {
    this.addSql(`
      CREATE TABLE ds_keys (
        name text PRIMARY KEY,
        key bytea NOT NULL CHECK (octet_length(key) >= 32),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }
}
