import type { ImportRecord } from './import-log.js';

/** Figures after a committed batch. Counts include earlier runs of a resumed import. */
export interface ImportProgress {
  readonly importId: string;
  /** Rows committed (registered or rejected). */
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly batches: number;
  /** Bytes of the file committed, and the file's size. */
  readonly bytesDone: number;
  readonly fileBytes: number;
  /** Time since this run began. */
  readonly elapsedMs: number;
  /** Rows committed per second by this run. */
  readonly rowsPerSecond: number;
  /** Seconds left at this run's rate over the bytes still to read; undefined before the first batch. */
  readonly etaSeconds: number | undefined;
}

export interface ImportSummary extends ImportProgress {
  /** `interrupted`: stopped by the signal; run it again with the same id to finish. */
  readonly status: 'completed' | 'interrupted';
  /** Rows already committed when this run began: 0 for a fresh import. */
  readonly resumedAtRow: number;
}

/** The figures of an import as its record stands. */
export function progressOf(
  record: ImportRecord,
  elapsedMs: number,
  rowsPerSecond: number,
  etaSeconds: number | undefined,
): ImportProgress {
  return {
    importId: record.importId,
    rows: record.position.row,
    accepted: record.accepted,
    rejected: record.rejected,
    batches: record.batches,
    bytesDone: Math.min(record.position.offset, record.fileSize),
    fileBytes: record.fileSize,
    elapsedMs,
    rowsPerSecond,
    etaSeconds,
  };
}

export function summaryOf(
  record: ImportRecord,
  status: ImportSummary['status'],
  elapsedMs: number,
  resumedAtRow: number,
  rowsPerSecond = 0,
): ImportSummary {
  return {
    ...progressOf(record, elapsedMs, rowsPerSecond, status === 'completed' ? 0 : undefined),
    status,
    resumedAtRow,
  };
}
