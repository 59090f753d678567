/**
 * Reads the rows of `INSERT INTO table (columns) VALUES (…), (…);` statements, the only statements
 * the published data files hold besides DDL and comments. Values are single-quoted strings (`''`
 * for a quote), numbers or NULL. Used by the generator, never at run time.
 */
export type SqlValue = string | number | null;
export type SqlRow = Readonly<Record<string, SqlValue>>;

export function readSqlInserts(sql: string): ReadonlyMap<string, readonly SqlRow[]> {
  const tables = new Map<string, SqlRow[]>();
  const statement = /INSERT INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES/gi;
  let match: RegExpExecArray | null;
  while ((match = statement.exec(sql)) !== null) {
    const table = match[1]!;
    const columns = match[2]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const rows = tables.get(table) ?? [];
    tables.set(table, rows);
    let at = statement.lastIndex;
    for (;;) {
      at = skip(sql, at, /[\s,]/);
      if (sql[at] === ';' || at >= sql.length) break;
      if (sql[at] !== '(') throw new SyntaxError(`expected a row of ${table} at ${where(sql, at)}`);
      const [values, next] = readTuple(sql, at + 1);
      if (values.length !== columns.length) {
        throw new SyntaxError(`${values.length} values for ${columns.length} columns at ${where(sql, at)}`);
      }
      rows.push(Object.fromEntries(columns.map((column, i) => [column, values[i]!])));
      at = next;
    }
    statement.lastIndex = at;
  }
  return tables;
}

function readTuple(sql: string, start: number): [SqlValue[], number] {
  const values: SqlValue[] = [];
  let at = start;
  for (;;) {
    at = skip(sql, at, /\s/);
    if (sql[at] === "'") {
      let text = '';
      at++;
      for (;;) {
        if (at >= sql.length) throw new SyntaxError('unterminated string');
        if (sql[at] === "'") {
          if (sql[at + 1] === "'") {
            text += "'";
            at += 2;
            continue;
          }
          at++;
          break;
        }
        text += sql[at++];
      }
      values.push(text);
    } else {
      let end = at;
      while (end < sql.length && sql[end] !== ',' && sql[end] !== ')') end++;
      const raw = sql.slice(at, end).trim();
      if (raw.toUpperCase() === 'NULL') values.push(null);
      else if (/^-?\d+(\.\d+)?$/.test(raw)) values.push(Number(raw));
      else throw new SyntaxError(`unexpected value ${JSON.stringify(raw)} at ${where(sql, at)}`);
      at = end;
    }
    at = skip(sql, at, /\s/);
    if (sql[at] === ',') {
      at++;
      continue;
    }
    if (sql[at] === ')') return [values, at + 1];
    throw new SyntaxError(`expected , or ) at ${where(sql, at)}`);
  }
}

function skip(sql: string, at: number, pattern: RegExp): number {
  while (at < sql.length && pattern.test(sql[at]!)) at++;
  return at;
}

function where(sql: string, at: number): string {
  return `line ${sql.slice(0, at).split('\n').length}`;
}

/** A column that must hold text. */
export function text(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new TypeError(`${column} is not text in ${JSON.stringify(row)}`);
  return value.normalize('NFC');
}
