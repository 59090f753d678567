import { Migration } from '@mikro-orm/migrations';

/**
 * One row per projection rebuild begun: where the log ended when it began (the projection is
 * rebuilt once its checkpoint passes that point) and when. Kept after the rebuild is done, as the
 * record of the last one.
 */
export class ProjectionRebuildsSchema extends Migration {
  override name = '0005-projection-rebuilds';

  override up(): void {
    this.addSql(`
      CREATE TABLE ops_projection_rebuilds (
        projection text PRIMARY KEY,
        target_transaction_id xid8 NOT NULL,
        target_position bigint NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        started_by text NOT NULL
      )`);
  }
}
