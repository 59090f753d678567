import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CalendarDate } from '@cancuoc/identity';
import {
  CLERK,
  facts,
  openRegistry,
  type RegistryFixture,
  WRITER,
} from '../../test-support/registry-fixture.js';
import { importCitizens, type ImportOptions, type ImportProgress } from './citizen-import.js';
import { ImportMismatchError } from './errors.js';
import { citizenRow, personRow, toCsv, toNdjson, type Row } from './test-support/rows.js';

interface ReportLine {
  row: number;
  line: number;
  violations: Array<{ field: string; columns: string[]; reason: string; description: string }>;
}

const today = () => CalendarDate.fromInstant(new Date());

describe('bulk import of an existing population', () => {
  let f: RegistryFixture;
  let dir: string;
  let n = 0;
  /** A fresh range of people for each test: the database is shared by the tests of this file. */
  const people = (count: number) => Array.from({ length: count }, () => citizenRow(++n));
  /** A fresh person of `sex` born on `birthDate`. */
  const born = (sex: 'male' | 'female', birthDate: string) => personRow(++n, sex, birthDate);

  before(async () => {
    f = await openRegistry();
    dir = await mkdtemp(join(tmpdir(), 'registry-import-'));
  });
  after(async () => {
    await f?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(name: string, content: string, options: Partial<ImportOptions> = {}) {
    const file = join(dir, name);
    await writeFile(file, content);
    const rejectionsFile = `${file}.rejections.ndjson`;
    const summary = await importCitizens({
      store: f.store,
      file,
      format: name.endsWith('.csv') ? 'csv' : 'ndjson',
      importId: name.replace(/\W/g, '-'),
      today,
      rejectionsFile,
      batchSize: 3,
      ...options,
    });
    const text = await readFile(rejectionsFile, 'utf8');
    const report = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ReportLine);
    return { summary, report, reportText: text, file };
  }

  const registered = async (personalId: string) => {
    try {
      return await f.registry.getCitizen(personalId, CLERK);
    } catch {
      return undefined;
    }
  };

  it('registers every row of a CSV file, quoted fields with commas, quotes and line breaks included', async () => {
    const rows = people(7);
    rows[2]!.residence_detail = 'Số 12, ngõ 5 "Hàng Bạc"\nHoàn Kiếm';
    rows[4]!.middle_name = 'Thị, Ánh';
    const progress: ImportProgress[] = [];
    const { summary, report } = await run('quoted.csv', toCsv(rows), { onProgress: (p) => progress.push(p) });
    assert.deepEqual(
      progress.map((p) => [p.batches, p.rows]),
      [
        [1, 3],
        [2, 6],
        [3, 7],
      ],
    );
    const last = progress.at(-1)!;
    assert.equal(last.bytesDone, last.fileBytes);
    assert.ok(
      last.rowsPerSecond > 0 && last.etaSeconds === 0,
      `rate ${last.rowsPerSecond}, ETA ${last.etaSeconds}`,
    );
    assert.equal(summary.status, 'completed');
    assert.deepEqual([summary.rows, summary.accepted, summary.rejected], [7, 6, 1]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [[5, ['name.middleName:INVALID_CHARACTERS']]],
      'a comma is no letter: the quoted field reached the name rule intact',
    );
    const quoted = await registered(rows[2]!.personal_id);
    assert.equal(quoted?.record.permanentResidence?.detail, 'Số 12, ngõ 5 "Hàng Bạc"\nHoàn Kiếm');
    assert.equal(quoted?.record.registeredOn, today().toString());
    const history = await f.registry.history(rows[0]!.personal_id, CLERK);
    assert.deepEqual(
      history.map((h) => [h.change, h.actor]),
      [
        ['CitizenRegistered', 'service:registry-import'],
        ['PermanentResidenceRegistered', 'service:registry-import'],
      ],
    );
  });

  it('rejects bad rows with the domain reasons, registers the good ones, and reports no personal data', async () => {
    const rows = people(9);
    const bad: Array<[number, Partial<Row>, string[]]> = [
      // With no birth date to judge it on, the birthplace is judged as of today, when its ward is gone.
      [1, { birth_date: '2999-01-01' }, ['birthDate:IN_FUTURE', 'birthPlace.communeCode:UNKNOWN_UNIT']],
      [2, { birth_commune: '99999' }, ['birthPlace.communeCode:UNKNOWN_UNIT']],
      [
        4,
        { sex: rows[4]!.sex === 'male' ? 'female' : 'male', given_name: 'Lan2' },
        ['name.givenName:INVALID_CHARACTERS', 'sex:SEX_MISMATCH'],
      ],
      [5, { residence_commune: '00049' }, ['permanentResidence.communeCode:UNKNOWN_UNIT']],
      [
        7,
        { nationality: 'Vietnam', personal_id: '12345' },
        ['nationality:NOT_ISO_3166', 'personalId:INVALID_FORMAT'],
      ],
    ];
    for (const [i, change] of bad) Object.assign(rows[i]!, change);
    const csv = toCsv(rows).replace(/\r\n$/, '\r\nshort,row\r\n');
    const { summary, report, reportText } = await run('bad-rows.csv', csv);
    assert.deepEqual([summary.rows, summary.accepted, summary.rejected], [10, 4, 6]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`).sort()]),
      [...bad.map(([i, , reasons]) => [i + 1, reasons]), [10, ['row:WRONG_FIELD_COUNT']]],
    );
    assert.deepEqual(report[1]!.violations[0]!.columns, ['birth_commune']);
    assert.equal(report[0]!.line, 3, 'the header is line 1');
    for (const row of rows) {
      for (const value of [row.personal_id, row.family_name, row.birth_date, row.residence_detail]) {
        assert.ok(!reportText.includes(value), 'the report repeats no value from the file');
      }
    }
    for (const [i, row] of rows.entries()) {
      assert.equal(!!(await registered(row.personal_id)), !bad.some(([b]) => b === i), `row ${i + 1}`);
    }
  });

  it('rejects a number held by an existing record or by an earlier row, keeping the first', async () => {
    const [existing, a, b, c] = people(4);
    await f.registry.registerExisting(
      facts({ birthDate: existing!.birth_date, sex: existing!.sex as 'male' | 'female' }),
      existing!.personal_id,
      WRITER,
    );
    const twinOfA = { ...a!, given_name: 'Khác' };
    const twinOfC = { ...c!, given_name: 'Khác' };
    // Batches of 3: A's twin is in A's batch, C's twin in the next one.
    const { summary, report } = await run(
      'duplicates.csv',
      toCsv([a!, existing!, twinOfA, b!, c!, twinOfC, twinOfA]),
    );
    assert.deepEqual([summary.accepted, summary.rejected], [3, 4]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [2, 3, 6, 7].map((row) => [row, ['personalId:ALREADY_REGISTERED']]),
    );
    assert.equal((await registered(a!.personal_id))?.record.name.givenName, a!.given_name);
    assert.equal((await registered(c!.personal_id))?.record.name.givenName, c!.given_name);
    assert.equal(
      (await registered(existing!.personal_id))?.record.name.givenName,
      'Đào',
      'the existing record stands',
    );
  });

  it('resolves parents named by personal id to existing records and earlier rows, and refuses unknown ones', async () => {
    const grandpa = born('male', '1930-02-03');
    const father = born('male', '1955-04-05');
    const mother = born('female', '1958-06-07');
    const [child, orphan, early] = [
      born('female', '1985-08-09'),
      born('male', '1986-01-01'),
      born('male', '1990-01-01'),
    ];
    await f.registry.registerExisting(
      facts({ birthDate: grandpa!.birth_date, sex: grandpa!.sex as 'male' | 'female' }),
      grandpa!.personal_id,
      WRITER,
    );
    father!.father_personal_id = grandpa!.personal_id;
    child!.father_personal_id = father!.personal_id;
    child!.mother_personal_id = mother!.personal_id;
    orphan!.mother_personal_id = '001190999999';
    early!.father_personal_id = orphan!.personal_id; // named before its row: not yet known
    const { summary, report } = await run('parents.csv', toCsv([early!, father!, mother!, child!, orphan!]));
    assert.deepEqual([summary.accepted, summary.rejected], [3, 2]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [
        [1, ['fatherPersonalId:UNKNOWN_CITIZEN']],
        [5, ['motherPersonalId:UNKNOWN_CITIZEN']],
      ],
    );
    const kid = (await registered(child!.personal_id))!.record;
    assert.equal(kid.fatherCitizenId, (await registered(father!.personal_id))!.citizenId);
    assert.equal(kid.motherCitizenId, (await registered(mother!.personal_id))!.citizenId);
    assert.equal(
      (await registered(father!.personal_id))!.record.fatherCitizenId,
      (await registered(grandpa!.personal_id))!.citizenId,
    );
    assert.equal(await registered(orphan!.personal_id), undefined);
    assert.equal(await registered(early!.personal_id), undefined);
  });

  it('links a child to the record holding a number when the row claiming it in the file was a duplicate', async () => {
    const [filler1, filler2] = people(2);
    const holder = born('male', '1950-01-01');
    const [child1, child2] = [born('female', '1980-01-01'), born('male', '1982-01-01')];
    const { citizenId } = await f.registry.registerExisting(
      facts({ birthDate: holder!.birth_date, sex: holder!.sex as 'male' | 'female' }),
      holder!.personal_id,
      WRITER,
    );
    child1!.father_personal_id = holder!.personal_id;
    child2!.father_personal_id = holder!.personal_id;
    // The duplicate row is judged valid and pending when the children are judged, in its own batch
    // and in the next one; it loses its number only when the batch claims it.
    const { summary } = await run('lost-parent.csv', toCsv([filler1!, holder!, child1!, filler2!, child2!]));
    assert.deepEqual([summary.accepted, summary.rejected], [4, 1]);
    for (const child of [child1!, child2!]) {
      assert.equal((await registered(child.personal_id))?.record.fatherCitizenId, citizenId);
    }
  });

  it('refuses rows whose parents break the family rules, under the parent’s column', async () => {
    const father = born('male', '1960-01-01');
    const mother = born('female', '1962-01-01');
    const tooYoung = { ...born('female', '1965-01-01'), father_personal_id: father.personal_id };
    const swapped = {
      ...born('male', '1990-01-01'),
      father_personal_id: mother.personal_id,
      mother_personal_id: father.personal_id,
    };
    const twice = {
      ...born('male', '1990-01-01'),
      father_personal_id: father.personal_id,
      mother_personal_id: father.personal_id,
    };
    const fine = {
      ...born('male', '1990-01-01'),
      father_personal_id: father.personal_id,
      mother_personal_id: mother.personal_id,
    };
    const { summary, report } = await run(
      'family.csv',
      toCsv([father, mother, tooYoung, swapped, twice, fine]),
    );
    assert.deepEqual([summary.accepted, summary.rejected], [3, 3]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [
        [3, ['fatherPersonalId:PARENT_TOO_YOUNG']],
        [4, ['fatherPersonalId:PARENT_SEX_MISMATCH', 'motherPersonalId:PARENT_SEX_MISMATCH']],
        [5, ['motherPersonalId:SAME_PARENT_TWICE']],
      ],
    );
    assert.deepEqual(report[0]!.violations[0]!.columns, ['father_personal_id']);
    assert.equal(
      (await registered(fine.personal_id))?.record.motherCitizenId,
      (await registered(mother.personal_id))?.citizenId,
    );
  });

  it('refuses a row whose parent, re-resolved to the record holding the number, breaks the family rules', async () => {
    // The register holds a woman born on 31 December 1950; the file has a row with her number but
    // born on 1 January (a duplicate, refused when its batch claims the number), and a child born in
    // June 1962 naming that number as mother: 12 years after the row's date, not after the record's.
    const holder = born('female', '1950-12-31');
    await f.registry.registerExisting(
      facts({ birthDate: holder.birth_date, sex: 'female' }),
      holder.personal_id,
      WRITER,
    );
    const duplicate = { ...holder, birth_date: '1950-01-01' };
    const child = { ...born('male', '1962-06-01'), mother_personal_id: holder.personal_id };
    const [filler] = people(1);
    const { summary, report } = await run('reresolved.csv', toCsv([filler!, duplicate, child]));
    assert.deepEqual([summary.accepted, summary.rejected], [1, 2]);
    assert.deepEqual(
      report.map((r) => [r.row, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [
        [2, ['personalId:ALREADY_REGISTERED']],
        [3, ['motherPersonalId:PARENT_TOO_YOUNG']],
      ],
    );
    assert.equal(await registered(child.personal_id), undefined, 'the refused row holds no number');
    const [held] = await f.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM reg_personal_ids WHERE personal_id = $1',
      [child.personal_id],
    );
    assert.equal(held?.n, 0, 'the number it claimed was given back');
  });

  it('reads NDJSON, with the same rules and the same report', async () => {
    const rows: Partial<Row>[] = people(3);
    rows[1] = { ...rows[1], birth_date: '1990-02-30' };
    const first = rows[0]!;
    rows[0] = { ...first, sex: first.sex === 'male' ? 'Nam' : 'Nữ' };
    const { summary, report } = await run('people.ndjson', `${toNdjson(rows)}\n{"oops"\n`);
    assert.deepEqual([summary.rows, summary.accepted, summary.rejected], [4, 2, 2]);
    assert.deepEqual(
      report.map((r) => [r.row, r.line, r.violations.map((v) => `${v.field}:${v.reason}`)]),
      [
        // With no birth date to judge it on, the birthplace is judged as of today: a 2020 ward is gone.
        [2, 2, ['birthDate:INVALID_DATE', 'birthPlace.communeCode:UNKNOWN_UNIT']],
        [4, 5, ['row:MALFORMED_JSON']],
      ],
    );
    assert.equal(
      (await registered(first.personal_id!))?.record.sex,
      first.sex,
      'Nam / Nữ read as male / female',
    );
  });

  it('stops when asked after committing, resumes from there with the report cut back, then has nothing to do', async () => {
    const rows = people(20);
    rows[1]!.sex = 'unknown';
    rows[17]!.sex = 'unknown';
    const controller = new AbortController();
    const first = await run('resume.csv', toCsv(rows), {
      batchSize: 4,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.batches === 2) controller.abort();
      },
    });
    assert.equal(first.summary.status, 'interrupted');
    assert.deepEqual([first.summary.rows, first.summary.accepted, first.summary.rejected], [8, 7, 1]);
    // A crash after the report was written but before the batch committed leaves lines behind.
    await writeFile(
      `${first.file}.rejections.ndjson`,
      `${first.reportText}{"row":9,"line":10,"violations":[]}\n`,
    );
    const second = await run('resume.csv', toCsv(rows), { batchSize: 4 });
    assert.equal(second.summary.status, 'completed');
    assert.equal(second.summary.resumedAtRow, 8);
    assert.deepEqual([second.summary.rows, second.summary.accepted, second.summary.rejected], [20, 18, 2]);
    assert.deepEqual(
      second.report.map((r) => r.row),
      [2, 18],
    );
    const third = await run('resume.csv', toCsv(rows), { batchSize: 4 });
    assert.equal(third.summary.status, 'completed');
    assert.equal(third.summary.elapsedMs, 0, 'nothing left to do');
    for (const row of rows) assert.equal(!!(await registered(row.personal_id)), row.sex !== 'unknown');
  });

  it('refuses to resume an import id on another file', async () => {
    const rows = people(2);
    await run('first.csv', toCsv(rows), { importId: 'one-file-only' });
    await assert.rejects(
      run('second.csv', toCsv(people(2)), { importId: 'one-file-only' }),
      (e) => e instanceof ImportMismatchError && /another file/.test(e.message),
    );
  });
});
