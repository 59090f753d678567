import { Migration } from '@mikro-orm/migrations';

/**
 * Card production's tables beside its event store:
 * - `cp_jobs`: each card job's state after its latest event, written in the append's transaction
 *   (the queue, the leases, the operators' lists), plus the personaliser's retry bookkeeping;
 * - `cp_applications`: one row per application, naming its current card, so a submitted application
 *   makes one card however its events are delivered;
 * - `cp_vault`: register data and chip files, encrypted with a data key per item, wrapped by the
 *   service's key-encryption key; deleted once no longer needed;
 * - `cp_revocations`: the revocation list's rows, never deleted.
 * Accesses to personal data go to the audit log of libs/audit (`auditMigrations`).
 */
export class CardProductionSchema extends Migration {
  override name = '0100-card-production';

  override up(): void {
    this.addSql(`
      CREATE TABLE cp_jobs (
        card_id uuid PRIMARY KEY,
        application_id text NOT NULL,
        citizen_id text NOT NULL,
        status text NOT NULL,
        priority integer NOT NULL,
        queued_at timestamptz,
        not_before timestamptz,
        lease_id text,
        station_id text,
        lease_deadline timestamptz,
        attempts integer NOT NULL,
        requested_at timestamptz NOT NULL,
        changed_at timestamptz NOT NULL,
        version integer NOT NULL,
        state jsonb NOT NULL,
        personalise_after timestamptz,
        personalise_attempts integer NOT NULL DEFAULT 0,
        waiting_reason text
      )`);
    this.addSql(
      `CREATE INDEX cp_jobs_queue ON cp_jobs (priority DESC, queued_at, card_id) WHERE status = 'queued'`,
    );
    this.addSql(
      `CREATE INDEX cp_jobs_personalising ON cp_jobs (personalise_after) WHERE status = 'personalising'`,
    );
    this.addSql(`CREATE INDEX cp_jobs_lease_deadline ON cp_jobs (lease_deadline) WHERE status = 'encoding'`);
    this.addSql(`CREATE INDEX cp_jobs_station ON cp_jobs (station_id) WHERE status = 'encoding'`);
    this.addSql(`CREATE UNIQUE INDEX cp_jobs_lease ON cp_jobs (lease_id) WHERE lease_id IS NOT NULL`);
    this.addSql(`CREATE INDEX cp_jobs_status ON cp_jobs (status, card_id)`);
    this.addSql(`
      CREATE TABLE cp_applications (
        application_id text PRIMARY KEY,
        application_version bigint NOT NULL,
        card_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE cp_vault (
        card_id uuid NOT NULL,
        item text NOT NULL CHECK (item IN ('register-data', 'chip-files')),
        key_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        iv bytea NOT NULL,
        ciphertext bytea NOT NULL,
        tag bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (card_id, item)
      )`);
    this.addSql(`
      CREATE TABLE cp_revocations (
        seq bigserial UNIQUE,
        card_id uuid PRIMARY KEY,
        sod_sha256 text NOT NULL,
        reason text NOT NULL,
        revoked_at timestamptz NOT NULL
      )`);
  }
}
