import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCsvRecord } from './csv.js';
import { ImportFileError } from './errors.js';
import { RecordSplitter, RecordTooLongError, type RawRecord } from './record-splitter.js';
import { csvSource, ndjsonSource, type SourceRow } from './source.js';

function split(bytes: Buffer, chunkSize: number, quoteAware = true): RawRecord[] {
  const splitter = new RecordSplitter({ quoteAware, startOffset: 0, startLine: 1, maxRecordBytes: 1 << 20 });
  const out: RawRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize)
    out.push(...splitter.push(bytes.subarray(i, i + chunkSize)));
  return [...out, ...splitter.end()];
}

async function collect(rows: AsyncGenerator<SourceRow>): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('reading import files', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'registry-import-source-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('splits CSV records at line breaks outside quotes, at the same offsets whatever the chunk size', () => {
    const text = 'a,b\r\n"x, ""y""\nz",Đào\n\n1,2';
    const bytes = Buffer.from(text);
    const expected = [
      { text: 'a,b', line: 1, end: 5, nextLine: 2, complete: true },
      {
        text: '"x, ""y""\nz",Đào',
        line: 2,
        end: Buffer.byteLength('a,b\r\n"x, ""y""\nz",Đào\n'),
        nextLine: 4,
        complete: true,
      },
      { text: '', line: 4, end: bytes.length - 3, nextLine: 5, complete: true },
      { text: '1,2', line: 5, end: bytes.length, nextLine: 5, complete: true },
    ];
    for (const chunk of [1, 2, 3, 7, 1000])
      assert.deepEqual(split(bytes, chunk), expected, `chunks of ${chunk}`);
  });

  it('parses quoted fields holding commas, doubled quotes and line breaks', () => {
    assert.deepEqual(parseCsvRecord('"12, ngõ 5 ""Hàng Bạc""\nHà Nội",,x,'), [
      '12, ngõ 5 "Hàng Bạc"\nHà Nội',
      '',
      'x',
      '',
    ]);
    assert.deepEqual(parseCsvRecord(''), ['']);
    assert.equal(parseCsvRecord('"abc"x,y'), undefined, 'text after a closing quote');
    assert.equal(parseCsvRecord('"abc'), undefined, 'a quote that never closes');
  });

  it('reads a CSV file from its header, or from any committed offset, with row and line numbers', async () => {
    const file = join(dir, 'people.csv');
    const header =
      'personal_id,family_name,given_name,birth_date,sex,nationality,ethnicity,religion,birth_province,' +
      'birth_commune,home_town_province,home_town_commune,residence_province,residence_commune';
    const row = (id: string, given: string) =>
      `${id},Nguyễn,${given},1990-01-01,male,VNM,Kinh,Không,001,00049,001,00049,,`;
    await writeFile(
      file,
      `\uFEFF${header}\n${row('1', '"An\nNhiên"')}\n\n${row('2', 'Bình')}\nbad,"row\n${row('3', 'Chi')}`,
    );
    const source = await csvSource(file);
    const rows = await collect(source.rows(source.dataStart));
    assert.deepEqual(
      rows.map((r) => [
        r.row,
        r.line,
        r.fields.personal_id,
        r.fields.given_name,
        r.problems.map((p) => p.reason),
      ]),
      [
        [1, 2, '1', 'An\nNhiên', []],
        [2, 5, '2', 'Bình', []],
        [3, 6, undefined, undefined, ['UNCLOSED_QUOTE']],
      ],
    );
    assert.equal(rows[0]!.fields.middle_name, undefined, 'an optional column left out of the header');
    const resumed = await collect(source.rows({ offset: rows[0]!.end, row: 1, line: rows[0]!.nextLine }));
    assert.deepEqual(
      resumed.map((r) => [r.row, r.line]),
      [
        [2, 5],
        [3, 6],
      ],
    );
  });

  it('refuses a CSV header with unknown, repeated or missing columns', async () => {
    const file = join(dir, 'bad-header.csv');
    await writeFile(file, 'personal_id,family_nam\n1,2\n');
    await assert.rejects(
      csvSource(file),
      (e) => e instanceof ImportFileError && /family_nam/.test(e.message),
    );
    await writeFile(file, 'personal_id,personal_id\n');
    await assert.rejects(csvSource(file), /repeats personal_id/);
    await writeFile(file, 'personal_id\n');
    await assert.rejects(csvSource(file), /lacks family_name/);
  });

  it('reads NDJSON lines, refusing lines that are not objects of string columns', async () => {
    const file = join(dir, 'people.ndjson');
    await writeFile(
      file,
      [
        JSON.stringify({ personal_id: '001090000001', given_name: 'An', father_personal_id: null }),
        '{not json',
        '[1]',
        JSON.stringify({ personal_id: 1, given: 'x' }),
        '',
      ].join('\n'),
    );
    const rows = await collect(ndjsonSource(file).rows({ offset: 0, row: 0, line: 1 }));
    assert.deepEqual(
      rows.map((r) => [r.row, r.problems.map((p) => `${p.field}:${p.reason}`)]),
      [
        [1, []],
        [2, ['row:MALFORMED_JSON']],
        [3, ['row:NOT_AN_OBJECT']],
        [4, ['personal_id:INVALID_TYPE', 'given:UNKNOWN_FIELD']],
      ],
    );
    assert.deepEqual(rows[0]!.fields, { personal_id: '001090000001', given_name: 'An' });
  });

  it('stops on a record that never ends rather than reading the whole file into memory', () => {
    const splitter = new RecordSplitter({
      quoteAware: true,
      startOffset: 0,
      startLine: 7,
      maxRecordBytes: 64,
    });
    assert.throws(() => splitter.push(Buffer.from(`"${'x'.repeat(100)}`)), RecordTooLongError);
  });
});
