import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { EventStore } from '@cancuoc/eventstore';
import type { CalendarDate } from '@cancuoc/identity';
import type { FamilyRules } from '../../domain/citizen/family-rules.js';
import { ImportBusyError, ImportMismatchError, ImportRefusedError } from './errors.js';
import { ImportLog, type ImportRecord } from './import-log.js';
import { ImportRun } from './import-run.js';
import { RejectionReport } from './rejection-report.js';
import { summaryOf, type ImportProgress, type ImportSummary } from './progress.js';
import { csvSource, ndjsonSource, type ImportFormat } from './source.js';

export type { ImportFormat } from './source.js';
export type { ImportProgress, ImportSummary } from './progress.js';

export interface ImportOptions {
  readonly store: EventStore;
  readonly file: string;
  readonly format: ImportFormat;
  /** Names the import: running it again with the same id resumes it, or reports it done. */
  readonly importId: string;
  /** The register's today (Vietnam's calendar day), as for every command. */
  readonly today: () => CalendarDate;
  /** Where refused rows are reported (NDJSON); without it they are only counted. */
  readonly rejectionsFile?: string | undefined;
  /** Rows per transaction. */
  readonly batchSize?: number;
  /**
   * Batches in flight at once. They commit in file order; while one commits, the next ones are
   * already being written. The database pool needs one connection more than this.
   */
  readonly concurrency?: number;
  /** Who runs the import, as the events' actor: a staff or service id, never a citizen's data. */
  readonly actor?: string;
  /** The ages the family rules turn on, as the service's (`REGISTRY_MIN_PARENT_AGE_YEARS`, …). */
  readonly familyRules?: FamilyRules;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Stops after the batches in flight have committed; the import resumes from there. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_BATCH_SIZE = 1_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_IMPORT_ACTOR = 'service:registry-import';
const IMPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const FINGERPRINT_BYTES = 1 << 20;

/** SHA-256 of the file's first MiB, with its size: enough to tell one export from another. */
export async function fingerprintOf(file: string): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { start: 0, end: FINGERPRINT_BYTES - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ImportRefusedError(`${name} must be a positive whole number`);
  }
  return value;
}

/**
 * Registers the citizens of a CSV or NDJSON file (initial collection of an existing population),
 * each row judged by the same decider as `RegisterExistingCitizen`. Valid rows are written in
 * batches, each one transaction that claims the rows' personal id numbers, appends their streams and
 * moves the import's progress in `reg_imports`; refused rows go to the rejection report. Stopped at
 * any point, the import resumes under the same id after its last committed batch.
 */
export async function importCitizens(options: ImportOptions): Promise<ImportSummary> {
  if (!IMPORT_ID.test(options.importId)) {
    throw new ImportRefusedError(
      'an import id is 1 to 100 letters, digits, dots, colons, hyphens or underscores, starting with a letter or digit',
    );
  }
  const batchSize = positiveInteger('the batch size', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const concurrency = positiveInteger('the concurrency', options.concurrency ?? DEFAULT_CONCURRENCY);
  const fileSize = (await stat(options.file)).size;
  const fileFingerprint = await fingerprintOf(options.file);
  const source = options.format === 'csv' ? await csvSource(options.file) : ndjsonSource(options.file);

  const db = options.store.db;
  const leadership = await db.tryLead(`registry-import:${options.importId}`);
  if (!leadership) throw new ImportBusyError(options.importId);
  try {
    const log = new ImportLog(db);
    const record = await log.begin({
      importId: options.importId,
      format: options.format,
      fileSize,
      fileFingerprint,
      dataStart: source.dataStart,
    });
    checkSameFile(record, options.format, fileSize, fileFingerprint);
    if (record.status === 'completed') return summaryOf(record, 'completed', 0, record.position.row);
    const report = options.rejectionsFile
      ? await RejectionReport.open(options.rejectionsFile, record.reportBytes)
      : undefined;
    try {
      const run = new ImportRun({
        store: options.store,
        log,
        record,
        source,
        report,
        fileSize,
        today: options.today,
        batchSize,
        concurrency,
        actor: options.actor ?? DEFAULT_IMPORT_ACTOR,
        familyRules: options.familyRules,
        onProgress: options.onProgress,
        signal: options.signal,
        lost: leadership.lost,
      });
      return await run.execute();
    } finally {
      await report?.close();
    }
  } finally {
    await leadership.release();
  }
}

function checkSameFile(record: ImportRecord, format: ImportFormat, size: number, fingerprint: string): void {
  if (record.format !== format) {
    throw new ImportMismatchError(
      `import ${record.importId} reads ${record.format}, not ${format}: resume it with the same format`,
    );
  }
  if (record.fileSize !== size || record.fileFingerprint !== fingerprint) {
    throw new ImportMismatchError(
      `import ${record.importId} began on another file, or the file has changed since ` +
        `(${record.fileSize} bytes then, ${size} now): resume it with the file it began with, or use a new import id`,
    );
  }
}
