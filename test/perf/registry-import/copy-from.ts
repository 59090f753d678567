import type pg from 'pg';

/** The part of pg's connection a COPY needs (pg-copy-streams drives the same calls). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

const CHUNK = 1 << 16;

/**
 * `COPY … FROM STDIN` through the plain `pg` client, without a streaming library: a submittable
 * query that answers the server's CopyInResponse with the data, in 64 KiB CopyData messages.
 */
class CopyFrom implements pg.Submittable {
  constructor(
    private readonly sql: string,
    private readonly data: Buffer,
    private readonly done: (error?: Error) => void,
  ) {}

  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let i = 0; i < this.data.length; i += CHUNK)
      connection.sendCopyFromChunk(this.data.subarray(i, i + CHUNK));
    connection.endCopyFrom();
  }

  handleCommandComplete(): void {
    // The row count is not needed: ReadyForQuery, next, ends the COPY.
  }

  handleReadyForQuery(): void {
    this.done();
  }

  handleError(error: Error): void {
    this.done(error);
  }
}

export function copyFrom(client: pg.PoolClient, sql: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.query(new CopyFrom(sql, Buffer.from(text), (error) => (error ? reject(error) : resolve())));
  });
}

/** A value in COPY's text format: backslash, tab and line breaks escaped; null as \N. */
export function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
