import { Migration } from '@mikro-orm/migrations';

/**
 * The cards not yet activated, cancelled or revoked by time of their last change, for
 * ListUnfinishedWork: partial, so the finished ones (all but a few, in time) cost nothing.
 */
export class UnfinishedCardsIndex extends Migration {
  override name = '0101-unfinished-cards';

  override up(): void {
    this.addSql(
      `CREATE INDEX cp_jobs_unfinished ON cp_jobs (changed_at, card_id)
       WHERE status NOT IN ('activated', 'cancelled', 'revoked')`,
    );
  }
}
