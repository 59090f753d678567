import { ImportFileError } from './errors.js';

/** One record of a file: the text of one CSV row or NDJSON line, without its line break. */
export interface RawRecord {
  readonly text: string;
  /** 1-based line of the file where the record starts. */
  readonly line: number;
  /** Byte offset just past the record and its line break: where reading resumes after it. */
  readonly end: number;
  /** Line number at `end`. */
  readonly nextLine: number;
  /** False when the file ended inside a quoted field. */
  readonly complete: boolean;
}

export interface SplitterOptions {
  /** CSV: a line break inside double quotes belongs to the field. NDJSON: every line break ends a record. */
  readonly quoteAware: boolean;
  /** Byte offset in the file of the first byte pushed. */
  readonly startOffset: number;
  /** Line number of the first byte pushed. */
  readonly startLine: number;
  /** A record longer than this is refused: the file is not what it claims (an unclosed quote, say). */
  readonly maxRecordBytes: number;
}

export class RecordTooLongError extends ImportFileError {
  override readonly name = 'RecordTooLongError';
  constructor(
    readonly line: number,
    maxBytes: number,
  ) {
    super(
      `the record starting on line ${line} runs past ${maxBytes} bytes without ending: ` +
        'an unclosed double quote, or not a file of this format',
    );
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Cuts a stream of bytes into records, keeping each one's byte offset so that an import can commit
 * "everything before byte N" and resume there. Works on bytes, not text: line feeds and quotes are
 * ASCII, and in UTF-8 no byte of a multi-byte character equals one of them, so a chunk boundary in
 * the middle of a character is harmless. In CSV, a doubled quote inside a quoted field toggles the
 * quote state twice, so counting quotes is enough to tell a field's line break from a row's.
 */
export class RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Absolute offset of `pending[0]`. */
  private base: number;
  private line: number;
  /** Line breaks inside the quoted fields of the pending record. */
  private linesInRecord = 0;
  private inQuotes = false;

  constructor(private readonly options: SplitterOptions) {
    this.base = options.startOffset;
    this.line = options.startLine;
  }

  push(chunk: Buffer): RawRecord[] {
    const scanned = this.pending.length;
    const buf = scanned === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: RawRecord[] = [];
    const quoteAware = this.options.quoteAware;
    let start = 0;
    let i = scanned;
    let nextLf = buf.indexOf(LF, i);
    let nextQuote = quoteAware ? buf.indexOf(QUOTE, i) : -1;
    while (i < buf.length) {
      if (this.inQuotes) {
        const close = nextQuote < 0 ? buf.length : nextQuote;
        while (nextLf >= 0 && nextLf < close) {
          this.linesInRecord += 1;
          nextLf = buf.indexOf(LF, nextLf + 1);
        }
        if (nextQuote < 0) break;
        this.inQuotes = false;
        i = nextQuote + 1;
        nextQuote = buf.indexOf(QUOTE, i);
        continue;
      }
      if (nextQuote >= 0 && (nextLf < 0 || nextQuote < nextLf)) {
        this.inQuotes = true;
        i = nextQuote + 1;
        nextQuote = buf.indexOf(QUOTE, i);
        continue;
      }
      if (nextLf < 0) break;
      const textEnd = nextLf > start && buf[nextLf - 1] === CR ? nextLf - 1 : nextLf;
      const nextLine = this.line + this.linesInRecord + 1;
      records.push({
        text: buf.toString('utf8', start, textEnd),
        line: this.line,
        end: this.base + nextLf + 1,
        nextLine,
        complete: true,
      });
      this.line = nextLine;
      this.linesInRecord = 0;
      start = nextLf + 1;
      i = start;
      nextLf = buf.indexOf(LF, i);
    }
    this.pending = buf.subarray(start);
    this.base += start;
    if (this.pending.length > this.options.maxRecordBytes) {
      throw new RecordTooLongError(this.line, this.options.maxRecordBytes);
    }
    return records;
  }

  /** The last record, when the file does not end with a line break. */
  end(): RawRecord[] {
    if (this.pending.length === 0) return [];
    const last = this.pending;
    const textEnd = last[last.length - 1] === CR ? last.length - 1 : last.length;
    const record: RawRecord = {
      text: last.toString('utf8', 0, textEnd),
      line: this.line,
      end: this.base + last.length,
      nextLine: this.line + this.linesInRecord,
      complete: !this.inQuotes,
    };
    this.base += last.length;
    this.pending = Buffer.alloc(0);
    return [record];
  }
}
