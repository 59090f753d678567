import type { SqlExecutor } from '@cancuoc/eventstore';
import { newEventId } from '@cancuoc/eventstore';
import { ImportBusyError } from './errors.js';
import type { ImportFormat, SourcePosition } from './source.js';

/** An import as `reg_imports` holds it: what it reads, and how far it has committed. */
export interface ImportRecord {
  readonly importId: string;
  readonly format: ImportFormat;
  readonly fileSize: number;
  readonly fileFingerprint: string;
  /** Every event the import appends carries it, so its records can be traced back to it. */
  readonly correlationId: string;
  readonly status: 'running' | 'completed';
  /** Just past the last committed row. */
  readonly position: SourcePosition;
  readonly accepted: number;
  readonly rejected: number;
  readonly batches: number;
  /** Length of the rejection report when the last batch committed. */
  readonly reportBytes: number;
}

interface Row {
  import_id: string;
  format: ImportFormat;
  file_size: string;
  file_fingerprint: string;
  correlation_id: string;
  status: 'running' | 'completed';
  byte_offset: string;
  row_count: string;
  line_number: string;
  accepted: string;
  rejected: string;
  batches: string;
  report_bytes: string;
}

const COLUMNS = `import_id, format, file_size::text, file_fingerprint, correlation_id, status,
  byte_offset::text, row_count::text, line_number::text, accepted::text, rejected::text,
  batches::text, report_bytes::text`;

function toRecord(r: Row): ImportRecord {
  return {
    importId: r.import_id,
    format: r.format,
    fileSize: Number(r.file_size),
    fileFingerprint: r.file_fingerprint,
    correlationId: r.correlation_id,
    status: r.status,
    position: { offset: Number(r.byte_offset), row: Number(r.row_count), line: Number(r.line_number) },
    accepted: Number(r.accepted),
    rejected: Number(r.rejected),
    batches: Number(r.batches),
    reportBytes: Number(r.report_bytes),
  };
}

export interface BatchProgress {
  /** Where the committed rows ended before this batch: the batch must start there. */
  readonly from: SourcePosition;
  readonly to: SourcePosition;
  readonly accepted: number;
  readonly rejected: number;
  readonly reportBytes: number;
}

/** `reg_imports`: one row per import, moved forward in each batch's own transaction. */
export class ImportLog {
  constructor(private readonly db: SqlExecutor) {}

  /** The import under this id, created at `dataStart` if it is new. */
  async begin(spec: {
    importId: string;
    format: ImportFormat;
    fileSize: number;
    fileFingerprint: string;
    dataStart: SourcePosition;
  }): Promise<ImportRecord> {
    await this.db.query(
      `INSERT INTO reg_imports (import_id, format, file_size, file_fingerprint, correlation_id, status,
                                byte_offset, row_count, line_number)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, 0, $7)
       ON CONFLICT (import_id) DO NOTHING`,
      [
        spec.importId,
        spec.format,
        spec.fileSize,
        spec.fileFingerprint,
        newEventId(),
        spec.dataStart.offset,
        spec.dataStart.line,
      ],
    );
    return (await this.find(spec.importId))!;
  }

  async find(importId: string): Promise<ImportRecord | undefined> {
    const [row] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM reg_imports WHERE import_id = $1`, [
      importId,
    ]);
    return row && toRecord(row);
  }

  /**
   * Records a committed batch, in the batch's transaction. Refused unless the import stands exactly
   * where the batch begins, so a batch can never be counted twice or out of order.
   */
  async advance(tx: SqlExecutor, importId: string, batch: BatchProgress): Promise<void> {
    const rows = await tx.query(
      `UPDATE reg_imports
       SET byte_offset = $2, row_count = $3, line_number = $4, accepted = accepted + $5,
           rejected = rejected + $6, report_bytes = $7, batches = batches + 1, updated_at = now()
       WHERE import_id = $1 AND status = 'running' AND row_count = $8 AND byte_offset = $9
       RETURNING 1`,
      [
        importId,
        batch.to.offset,
        batch.to.row,
        batch.to.line,
        batch.accepted,
        batch.rejected,
        batch.reportBytes,
        batch.from.row,
        batch.from.offset,
      ],
    );
    if (rows.length !== 1) throw new ImportBusyError(importId);
  }

  async complete(importId: string, fileSize: number): Promise<ImportRecord> {
    await this.db.query(
      `UPDATE reg_imports SET status = 'completed', byte_offset = $2, completed_at = now(), updated_at = now()
       WHERE import_id = $1`,
      [importId, fileSize],
    );
    return (await this.find(importId))!;
  }
}
