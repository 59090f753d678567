import { Migration } from '@mikro-orm/migrations';

/**
 * `reg_imports`: one row per bulk import (initial collection from a file), moved forward in the same
 * transaction as each batch of records it commits. It says where in the file the committed rows end
 * (byte offset, row and line), so an import stopped at any point resumes after its last committed
 * batch with no row lost or registered twice, and how long the rejection report was then, so the
 * report is cut back to match. The file is recognised by its size and a hash of its first MiB: an
 * import id cannot be resumed on another file.
 */
export class RegistryImportSchema extends Migration {
  override name = '0101-registry-import';

  override up(): void {
    this.addSql(`
      CREATE TABLE reg_imports (
        import_id text PRIMARY KEY,
        format text NOT NULL CHECK (format IN ('csv', 'ndjson')),
        file_size bigint NOT NULL,
        file_fingerprint text NOT NULL,
        correlation_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'completed')),
        byte_offset bigint NOT NULL,
        row_count bigint NOT NULL,
        line_number bigint NOT NULL,
        accepted bigint NOT NULL DEFAULT 0,
        rejected bigint NOT NULL DEFAULT 0,
        batches bigint NOT NULL DEFAULT 0,
        report_bytes bigint NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
  }
}
