import { Migration } from '@mikro-orm/migrations';

/**
 * The recoding queue (issue 21): a row per citizen whose permanent residence was recorded in a
 * commune the 2025 reorganisation divided (or dissolved with no successor the data names), kept by
 * the citizen projection with `reg_citizens` and rebuilt with it. The recorded commune is the
 * queue's key; the row goes when a clerk recodes the residence or a new one is registered.
 */
export class RegistryRecodingSchema extends Migration {
  override name = '0104-registry-recoding';

  override up(): void {
    this.addSql(`
      CREATE TABLE reg_recoding_queue (
        citizen_id uuid PRIMARY KEY,
        recorded_province_code text NOT NULL,
        recorded_commune_code text NOT NULL,
        since date NOT NULL,
        reason text NOT NULL,
        candidates text[] NOT NULL
      )`);
    this.addSql(
      'CREATE INDEX reg_recoding_queue_commune ON reg_recoding_queue (recorded_commune_code, citizen_id)',
    );
  }
}
