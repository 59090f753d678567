import { Migration } from '@mikro-orm/migrations';

/**
 * The registry's own tables beside its event store:
 * - `reg_personal_ids`: every number ever allocated or imported, with its record. Rows are never
 *   deleted, so a number is never reused; the primary key makes allocation unique under concurrency.
 * - `reg_idempotency`: the result of each command by idempotency key, written in the command's
 *   transaction, so a retried command has exactly one effect even if Redis is lost.
 * - `reg_citizens`, `reg_quality_flags`: the read model for search and data quality, rebuilt from
 *   events by the `registry-citizens` projection.
 */
export class RegistrySchema extends Migration {
  override name = '0100-registry';

  override up(): void {
    this.addSql(`
      CREATE TABLE reg_personal_ids (
        personal_id text PRIMARY KEY,
        citizen_id uuid NOT NULL UNIQUE,
        allocated_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE reg_idempotency (
        idempotency_key text PRIMARY KEY,
        method text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql('CREATE INDEX reg_idempotency_created_at ON reg_idempotency (created_at)');
    this.addSql(`
      CREATE TABLE reg_citizens (
        citizen_id uuid PRIMARY KEY,
        personal_id text NOT NULL UNIQUE,
        record jsonb NOT NULL,
        record_version integer NOT NULL,
        name_key text NOT NULL,
        birth_date date NOT NULL,
        province_code text,
        commune_code text,
        duplicate_key text NOT NULL,
        deceased boolean NOT NULL,
        verified_on date,
        registered_on date NOT NULL
      )`);
    this.addSql('CREATE INDEX reg_citizens_name ON reg_citizens (name_key, birth_date)');
    this.addSql('CREATE INDEX reg_citizens_commune ON reg_citizens (commune_code, citizen_id)');
    this.addSql('CREATE INDEX reg_citizens_province ON reg_citizens (province_code, commune_code)');
    this.addSql('CREATE INDEX reg_citizens_duplicate ON reg_citizens (duplicate_key)');
    this.addSql(`
      CREATE TABLE reg_quality_flags (
        citizen_id uuid NOT NULL REFERENCES reg_citizens (citizen_id),
        kind text NOT NULL,
        detail text NOT NULL,
        raised_on date NOT NULL,
        PRIMARY KEY (citizen_id, kind)
      )`);
  }
}
