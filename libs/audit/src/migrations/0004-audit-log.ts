import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log (architecture decision 9): append-only, hash-chained. An entry is written unsealed
 * in the transaction of the access it records; the sealer later gives it its place in the chain
 * (`seq`) and its hash, once. The trigger refuses every other change, and every deletion, so that
 * rewriting history takes a deliberate act by a database superuser — which `verify` then detects.
 */
export class AuditLogSchema extends Migration {
  override name = '0004-audit-log';

  override up(): void {
    this.addSql(`
      CREATE TABLE audit_entries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        chain text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor text NOT NULL,
        action text NOT NULL,
        purpose text NOT NULL,
        subject_id text,
        fields text[] NOT NULL,
        detail jsonb,
        seq bigint,
        prev_hash bytea,
        hash bytea,
        CONSTRAINT audit_entries_sealed_whole CHECK (
          (seq IS NULL AND prev_hash IS NULL AND hash IS NULL) OR
          (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL))
      )`);
    this.addSql('CREATE UNIQUE INDEX audit_entries_chain_seq ON audit_entries (chain, seq)');
    this.addSql('CREATE INDEX audit_entries_unsealed ON audit_entries (chain, id) WHERE seq IS NULL');
    this.addSql(
      'CREATE INDEX audit_entries_subject ON audit_entries (subject_id, recorded_at) WHERE subject_id IS NOT NULL',
    );
    this.addSql(`
      CREATE TABLE audit_heads (
        chain text PRIMARY KEY,
        seq bigint NOT NULL,
        hash bytea NOT NULL
      )`);
    this.addSql(`
      CREATE FUNCTION audit_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.seq IS NOT NULL THEN
          RAISE EXCEPTION 'a sealed audit entry never changes' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.id IS DISTINCT FROM OLD.id OR NEW.chain IS DISTINCT FROM OLD.chain
           OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at OR NEW.actor IS DISTINCT FROM OLD.actor
           OR NEW.action IS DISTINCT FROM OLD.action OR NEW.purpose IS DISTINCT FROM OLD.purpose
           OR NEW.subject_id IS DISTINCT FROM OLD.subject_id OR NEW.fields IS DISTINCT FROM OLD.fields
           OR NEW.detail IS DISTINCT FROM OLD.detail THEN
          RAISE EXCEPTION 'sealing an audit entry sets only its seq and hashes'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END
      $$`);
    this.addSql(`
      CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
      FOR EACH ROW EXECUTE FUNCTION audit_entries_guard()`);
    this.addSql(`
      CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
      FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_guard()`);
  }
}
