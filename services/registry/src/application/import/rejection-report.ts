import { open, type FileHandle } from 'node:fs/promises';
import type { FieldViolation } from '@cancuoc/identity';
import { columnsOf } from './columns.js';
import { ImportMismatchError } from './errors.js';

/** A refused row as the report writes it: where it is, and why — never the values it holds. */
export interface Rejection {
  readonly row: number;
  readonly line: number;
  readonly violations: readonly FieldViolation[];
}

export function reportLine(rejection: Rejection): string {
  return `${JSON.stringify({
    row: rejection.row,
    line: rejection.line,
    violations: rejection.violations.map((v) => ({
      field: v.field,
      columns: columnsOf(v.field),
      reason: v.reason,
      description: v.description,
    })),
  })}\n`;
}

/**
 * The rejection report: one NDJSON line per refused row. Lines are flushed to disk before the batch
 * they belong to commits, and the import records the report's length with each batch; on resume the
 * report is cut back to that length, so lines of a batch that did not commit are not left behind
 * and are not written twice.
 */
export class RejectionReport {
  private constructor(
    private readonly file: FileHandle,
    private length: number,
  ) {}

  /** Opens the report as it stood after the last committed batch (`committedBytes` long). */
  static async open(path: string, committedBytes: number): Promise<RejectionReport> {
    const file = await open(path, 'a');
    try {
      const { size } = await file.stat();
      if (size < committedBytes) {
        throw new ImportMismatchError(
          `the rejection report ${path} holds ${size} bytes, fewer than the ${committedBytes} this import ` +
            'has committed: resume with the report file the import began with',
        );
      }
      await file.truncate(committedBytes);
      return new RejectionReport(file, committedBytes);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  get bytes(): number {
    return this.length;
  }

  /** Appends the lines and waits until they are on disk; returns the report's new length. */
  async append(rejections: readonly Rejection[]): Promise<number> {
    if (rejections.length === 0) return this.length;
    const data = Buffer.from(rejections.map(reportLine).join(''));
    await this.file.appendFile(data);
    await this.file.datasync();
    this.length += data.length;
    return this.length;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
