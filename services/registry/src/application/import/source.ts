import { createReadStream } from 'node:fs';
import type { FieldViolation } from '@cancuoc/identity';
import { COLUMNS, OPTIONAL_COLUMNS, isColumn, type Column, type ImportFields } from './columns.js';
import { parseCsvRecord } from './csv.js';
import { ImportFileError } from './errors.js';
import { RecordSplitter, type RawRecord } from './record-splitter.js';

export type ImportFormat = 'csv' | 'ndjson';

/** Where reading starts: just after the last committed row (or the header, on a fresh import). */
export interface SourcePosition {
  /** Byte offset in the file. */
  readonly offset: number;
  /** Data rows before it. */
  readonly row: number;
  /** Line number of the byte at `offset`. */
  readonly line: number;
}

/** One row of the file, its values by column, or why the record itself cannot be read. */
export interface SourceRow {
  /** 1-based number among the data rows (the CSV header and blank lines are not rows). */
  readonly row: number;
  readonly line: number;
  /** Byte offset just past the row. */
  readonly end: number;
  /** Line number at `end`. */
  readonly nextLine: number;
  readonly fields: ImportFields;
  /** Non-empty when the record is malformed; the row is then rejected with these. */
  readonly problems: readonly FieldViolation[];
}

export interface ImportSource {
  /** Where the data rows begin. */
  readonly dataStart: SourcePosition;
  rows(from: SourcePosition): AsyncGenerator<SourceRow>;
}

const CHUNK_BYTES = 1 << 20;
const MAX_RECORD_BYTES = 1 << 20;
const BOM = '\uFEFF';

function problem(reason: string, description: string): FieldViolation[] {
  return [{ field: 'row', reason, description }];
}

async function* records(file: string, from: SourcePosition, quoteAware: boolean): AsyncGenerator<RawRecord> {
  const splitter = new RecordSplitter({
    quoteAware,
    startOffset: from.offset,
    startLine: from.line,
    maxRecordBytes: MAX_RECORD_BYTES,
  });
  const stream = createReadStream(file, { start: from.offset, highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield* splitter.push(chunk as Buffer);
    yield* splitter.end();
  } finally {
    stream.destroy();
  }
}

async function* rowsOf(
  file: string,
  from: SourcePosition,
  quoteAware: boolean,
  parse: (record: RawRecord) => Pick<SourceRow, 'fields' | 'problems'>,
): AsyncGenerator<SourceRow> {
  let row = from.row;
  let first = from.offset === 0;
  for await (const record of records(file, from, quoteAware)) {
    const text = first && record.text.startsWith(BOM) ? record.text.slice(1) : record.text;
    first = false;
    if (text.trim() === '') continue;
    row += 1;
    const base = { row, line: record.line, end: record.end, nextLine: record.nextLine };
    if (!record.complete) {
      yield {
        ...base,
        fields: {},
        problems: problem('UNCLOSED_QUOTE', 'the file ends inside a quoted field'),
      };
      continue;
    }
    yield { ...base, ...parse({ ...record, text }) };
  }
}

/** A CSV file: a header row naming the columns (any order), then one row per citizen. */
export async function csvSource(file: string): Promise<ImportSource> {
  let header: RawRecord | undefined;
  for await (const record of records(file, { offset: 0, row: 0, line: 1 }, true)) {
    if (record.text.replace(BOM, '').trim() === '') continue;
    header = record;
    break;
  }
  if (!header) throw new ImportFileError('the CSV file is empty: it needs a header row naming the columns');
  const names = parseCsvRecord(header.text.replace(BOM, ''))?.map((n) => n.trim());
  if (!names) throw new ImportFileError('the CSV header row is malformed');
  const unknown = names.filter((n) => !isColumn(n));
  if (unknown.length > 0) {
    throw new ImportFileError(
      `the CSV header names unknown columns (${unknown.join(', ')}); the columns are ${COLUMNS.join(', ')}`,
    );
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) throw new ImportFileError(`the CSV header repeats ${repeated.join(', ')}`);
  const missing = COLUMNS.filter((c) => !OPTIONAL_COLUMNS.has(c) && !names.includes(c));
  if (missing.length > 0) throw new ImportFileError(`the CSV header lacks ${missing.join(', ')}`);
  const columns = names as Column[];
  return {
    dataStart: { offset: header.end, row: 0, line: header.nextLine },
    rows: (from) =>
      rowsOf(file, from, true, (record) => {
        const values = parseCsvRecord(record.text);
        if (!values) {
          return {
            fields: {},
            problems: problem('MALFORMED_CSV', 'text after a closing quote, or a quote that never closes'),
          };
        }
        if (values.length !== columns.length) {
          return {
            fields: {},
            problems: problem(
              'WRONG_FIELD_COUNT',
              `the header names ${columns.length} columns, the row has ${values.length} fields`,
            ),
          };
        }
        const fields: ImportFields = {};
        columns.forEach((c, i) => (fields[c] = values[i]!));
        return { fields, problems: [] };
      }),
  };
}

const MAX_KEY_IN_REPORT = 64;

/** An NDJSON file: one JSON object per line, keyed by column name; values are strings or null. */
export function ndjsonSource(file: string): ImportSource {
  return {
    dataStart: { offset: 0, row: 0, line: 1 },
    rows: (from) =>
      rowsOf(file, from, false, (record) => {
        let value: unknown;
        try {
          value = JSON.parse(record.text);
        } catch {
          return { fields: {}, problems: problem('MALFORMED_JSON', 'the line is not valid JSON') };
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return { fields: {}, problems: problem('NOT_AN_OBJECT', 'each line is one JSON object') };
        }
        const fields: ImportFields = {};
        const problems: FieldViolation[] = [];
        for (const [key, v] of Object.entries(value)) {
          if (!isColumn(key)) {
            problems.push({
              field: key.slice(0, MAX_KEY_IN_REPORT),
              reason: 'UNKNOWN_FIELD',
              description: 'not a column of the import format',
            });
          } else if (typeof v === 'string') {
            fields[key] = v;
          } else if (v !== null) {
            problems.push({
              field: key,
              reason: 'INVALID_TYPE',
              description: 'a string or null is expected',
            });
          }
        }
        return { fields, problems };
      }),
  };
}
