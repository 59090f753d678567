import { Migration } from '@mikro-orm/migrations';

/**
 * Enrollment's tables beside its event store:
 * - `enr_applications`: the read model of each application (its folded state, stage and time in
 *   stage), written in the transaction of every change, so a read after a write sees it; rebuilt
 *   from the application streams if lost.
 * - `enr_open_applications`: one row per citizen (by personal id number) with an application that is
 *   not closed; the primary key makes "one open application per citizen" hold under concurrency.
 * - `enr_pending_steps`: the pipeline step each application waits on (register lookup, duplicate
 *   check), with its failed attempts and the time of the next, for the re-processor and the stuck list.
 * - `enr_idempotency`: each command's result by (caller, idempotency key), in the command's transaction.
 * - `enr_data_keys`, `enr_biometrics`: per-citizen data keys wrapped by the master key, and the
 *   biometrics encrypted under them (AES-256-GCM). A destroyed key keeps its row, without the key.
 * - `enr_cards`: what card production reported about each card, from its events.
 */
export class EnrollmentSchema extends Migration {
  override name = '0200-enrollment';

  override up(): void {
    this.addSql(`
      CREATE TABLE enr_applications (
        application_id uuid PRIMARY KEY,
        station_id text NOT NULL,
        stage text NOT NULL,
        reason text NOT NULL,
        personal_id text NOT NULL,
        citizen_id uuid,
        version integer NOT NULL,
        started_at timestamptz NOT NULL,
        stage_entered_at timestamptz NOT NULL,
        fingerprints_ref uuid,
        printed_data text,
        state jsonb NOT NULL
      )`);
    this.addSql('CREATE INDEX enr_applications_station ON enr_applications (station_id, stage, started_at)');
    this.addSql('CREATE INDEX enr_applications_citizen ON enr_applications (citizen_id)');
    this.addSql(
      'CREATE INDEX enr_applications_gallery ON enr_applications (stage) WHERE fingerprints_ref IS NOT NULL',
    );
    this.addSql(`
      CREATE TABLE enr_open_applications (
        personal_id text PRIMARY KEY,
        application_id uuid NOT NULL UNIQUE
      )`);
    this.addSql(`
      CREATE TABLE enr_pending_steps (
        application_id uuid PRIMARY KEY,
        step text NOT NULL CHECK (step IN ('register-lookup', 'duplicate-check')),
        station_id text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        last_attempt_at timestamptz,
        pending_since timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL
      )`);
    this.addSql('CREATE INDEX enr_pending_steps_due ON enr_pending_steps (next_attempt_at)');
    this.addSql(`
      CREATE TABLE enr_idempotency (
        actor text NOT NULL,
        idempotency_key text NOT NULL,
        method text NOT NULL,
        request_hash text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor, idempotency_key)
      )`);
    this.addSql('CREATE INDEX enr_idempotency_created_at ON enr_idempotency (created_at)');
    this.addSql(`
      CREATE TABLE enr_data_keys (
        citizen_id uuid NOT NULL,
        key_version integer NOT NULL,
        master_key_id text NOT NULL,
        wrapped_key bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        destroyed_at timestamptz,
        PRIMARY KEY (citizen_id, key_version),
        CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
      )`);
    this.addSql(`
      CREATE TABLE enr_biometrics (
        reference uuid PRIMARY KEY,
        citizen_id uuid NOT NULL,
        key_version integer NOT NULL,
        application_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('face', 'fingerprints')),
        media_type text NOT NULL,
        sha256 text NOT NULL,
        size integer NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        iv bytea NOT NULL,
        ciphertext bytea NOT NULL,
        auth_tag bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (citizen_id, key_version) REFERENCES enr_data_keys (citizen_id, key_version)
      )`);
    this.addSql('CREATE INDEX enr_biometrics_citizen ON enr_biometrics (citizen_id)');
    this.addSql(`
      CREATE TABLE enr_cards (
        card_id text PRIMARY KEY,
        application_id text NOT NULL,
        citizen_id text NOT NULL,
        status text NOT NULL,
        issue_date date,
        expiry_date text NOT NULL,
        card_version bigint NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql('CREATE INDEX enr_cards_citizen ON enr_cards (citizen_id)');
    this.addSql('CREATE INDEX enr_cards_application ON enr_cards (application_id)');
  }
}
