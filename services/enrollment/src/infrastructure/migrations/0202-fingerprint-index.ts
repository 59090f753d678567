import { Migration } from '@mikro-orm/migrations';

/**
 * The built-in matcher's candidate index (`domain/biometrics/candidate-index.ts`), persisted so a
 * restart loads keys instead of decrypting and re-reading every enrolled ten-print:
 * - `enr_fingerprint_index_key`: the secret the index keys are derived under, wrapped by the
 *   master key like the citizens' data keys (one row).
 * - `enr_fingerprint_index`: each indexed application's keys (32-bit, big-endian, ascending), in
 *   the order filed (`seq`), which is how every instance catches up with the others.
 * Index keys are derived biometric data: destroying a citizen's data key (erasure) deletes their
 * rows in the same transaction, and an application closed without entering the gallery
 * (rejected, cancelled, blocked) leaves the index when it closes.
 */
export class FingerprintIndexSchema extends Migration {
  override name = '0202-fingerprint-index';

  override up(): void {
    this.addSql(`
      CREATE TABLE enr_fingerprint_index_key (
        id smallint PRIMARY KEY CHECK (id = 1),
        master_key_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql('CREATE SEQUENCE enr_fingerprint_index_seq');
    this.addSql(`
      CREATE TABLE enr_fingerprint_index (
        application_id uuid PRIMARY KEY,
        citizen_id uuid NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('enr_fingerprint_index_seq'),
        keys bytea NOT NULL
      )`);
    this.addSql('CREATE UNIQUE INDEX enr_fingerprint_index_by_seq ON enr_fingerprint_index (seq)');
    this.addSql('CREATE INDEX enr_fingerprint_index_citizen ON enr_fingerprint_index (citizen_id)');
    this.addSql(`
      CREATE FUNCTION enr_fingerprint_index_erase() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM enr_fingerprint_index WHERE citizen_id = NEW.citizen_id;
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE TRIGGER enr_fingerprint_index_erased AFTER UPDATE OF wrapped_key ON enr_data_keys
        FOR EACH ROW WHEN (NEW.wrapped_key IS NULL) EXECUTE FUNCTION enr_fingerprint_index_erase()`);
    this.addSql(`
      CREATE FUNCTION enr_fingerprint_index_close() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM enr_fingerprint_index WHERE application_id = NEW.application_id;
        RETURN NULL;
      END $$`);
    this.addSql(`
      CREATE TRIGGER enr_fingerprint_index_closed AFTER INSERT OR UPDATE OF stage ON enr_applications
        FOR EACH ROW WHEN (NEW.stage IN ('rejected', 'cancelled', 'blocked'))
        EXECUTE FUNCTION enr_fingerprint_index_close()`);
  }
}
