import { Migration } from '@mikro-orm/migrations';

/**
 * The open applications by time in stage, for ListUnfinishedWork: partial, so the closed ones (all
 * but a few, in time) cost nothing.
 */
export class UnfinishedApplicationsIndex extends Migration {
  override name = '0201-unfinished-applications';

  override up(): void {
    this.addSql(
      `CREATE INDEX enr_applications_unfinished ON enr_applications (stage_entered_at, application_id)
       WHERE stage NOT IN ('completed', 'rejected', 'cancelled', 'blocked')`,
    );
  }
}
