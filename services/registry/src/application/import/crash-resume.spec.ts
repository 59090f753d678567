/**
 * The import CLI killed with SIGKILL in the middle of a file, then run again with the same import
 * id: every valid row is registered exactly once, every refused row is reported exactly once, and
 * the read model builds a record for each of them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CalendarDate } from '@cancuoc/identity';
import { citizenProjection } from '../citizen-projection.js';
import { openRegistry, type RegistryFixture } from '../../test-support/registry-fixture.js';
import { citizenRow, toCsv, type Row } from './test-support/rows.js';

const CLI = fileURLToPath(new URL('../../import/cli.js', import.meta.url));
const ROWS = 30_000;
const IMPORT_ID = 'crash-test';

function startCli(
  databaseUrl: string,
  file: string,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [CLI, '--database-url', databaseUrl, '--file', file, '--import-id', IMPORT_ID, '--batch-size', '250'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(([code]) => {
    if (code !== 0 && code !== null) throw new Error(`the import exited with ${code}:\n${output}`);
    return code as number | null;
  });
  exited.catch(() => undefined);
  return { child, exited };
}

/**
 * A file with refused rows, numbers used twice and parents (the row before), spread over the whole
 * file, and what the import must make of it.
 */
function population(): { rows: Row[]; valid: Set<string>; refusedRows: number[] } {
  const rows: Row[] = [];
  const valid = new Set<string>();
  const refusedRows: number[] = [];
  for (let i = 1; rows.length < ROWS; i++) {
    let row = citizenRow(i);
    let refused = true;
    if (i % 97 === 0) row.birth_date = '2999-12-31';
    else if (i % 101 === 0) row.residence_commune = '99999';
    else if (i % 89 === 0) row = { ...rows.at(-5)!, given_name: 'Khác' };
    else if (i % 7 === 0) {
      // The latest man at least 13 years older, when there is one: a father the family rules accept
      // if his own row was accepted.
      const year = Number(row.birth_date.slice(0, 4));
      const father = rows
        .slice(-60)
        .findLast((r) => r.sex === 'male' && Number(r.birth_date.slice(0, 4)) <= year - 13);
      if (father) row.father_personal_id = father.personal_id;
      refused = father !== undefined && !valid.has(father.personal_id);
    } else refused = false;
    rows.push(row);
    if (refused) refusedRows.push(rows.length);
    else valid.add(row.personal_id);
  }
  return { rows, valid, refusedRows };
}

describe('bulk import killed mid-file and resumed', () => {
  let f: RegistryFixture;
  let dir: string;
  before(async () => {
    f = await openRegistry();
    dir = await mkdtemp(join(tmpdir(), 'registry-import-crash-'));
  });
  after(async () => {
    await f?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers every valid row exactly once and reports every refused row once', async () => {
    const { rows, valid, refusedRows } = population();
    const file = join(dir, 'population.csv');
    await writeFile(file, toCsv(rows));

    const first = startCli(f.databaseUrl, file);
    let committed: { batches: number; row_count: number; accepted: number; status: string } | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      [committed] = await f.db.query<{
        batches: number;
        row_count: number;
        accepted: number;
        status: string;
      }>('SELECT batches::int, row_count::int, accepted::int, status FROM reg_imports WHERE import_id = $1', [
        IMPORT_ID,
      ]);
      if ((committed?.batches ?? 0) >= 8) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed, not finished');
    [committed] = await f.db.query(
      'SELECT batches::int, row_count::int, accepted::int, status FROM reg_imports',
    );
    assert.equal(committed?.status, 'running');
    assert.ok(
      committed!.row_count >= 2_000 && committed!.row_count < ROWS,
      `killed mid-file at ${committed!.row_count}`,
    );
    const [partial] = await f.db.query<{ ids: number; streams: number }>(
      `SELECT (SELECT count(*)::int FROM reg_personal_ids) AS ids,
              (SELECT count(*)::int FROM es_streams WHERE stream_id LIKE 'citizen-%') AS streams`,
    );
    assert.deepEqual(
      partial,
      { ids: committed!.accepted, streams: committed!.accepted },
      'what committed is whole',
    );

    assert.equal(await startCli(f.databaseUrl, file).exited, 0);

    const [counts] = await f.db.query<{ ids: number; streams: number; events: number; imports: string }>(
      `SELECT (SELECT count(*)::int FROM reg_personal_ids) AS ids,
              (SELECT count(*)::int FROM es_streams WHERE stream_id LIKE 'citizen-%') AS streams,
              (SELECT count(*)::int FROM es_events) AS events,
              (SELECT status || ' ' || row_count || ' ' || accepted || ' ' || rejected FROM reg_imports) AS imports`,
    );
    assert.deepEqual(counts, {
      ids: valid.size,
      streams: valid.size,
      events: valid.size * 2,
      imports: `completed ${ROWS} ${valid.size} ${ROWS - valid.size}`,
    });
    const held = await f.db.query<{ personal_id: string }>('SELECT personal_id FROM reg_personal_ids');
    assert.deepEqual(new Set(held.map((r) => r.personal_id)), valid);
    const report = (await readFile(`${file}.rejections.ndjson`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { row: number }).row);
    assert.deepEqual(report, refusedRows);

    const projection = citizenProjection(f.store, () => CalendarDate.fromInstant(new Date()));
    await projection.ensureCreated();
    for (const deadline = Date.now() + 120_000; ;) {
      const [{ n }] = (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reg_citizens')) as [
        { n: number },
      ];
      if (n === valid.size) break;
      assert.ok(Date.now() < deadline, `the projection built ${n} of ${valid.size} records`);
      const outcome = await projection.runOnce();
      if (outcome === 'busy' || outcome.read === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const [linked] = await f.db.query<{ children: number; dangling: number }>(
      `SELECT count(*)::int AS children,
              count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM reg_citizens p WHERE p.citizen_id = (c.record->>'fatherCitizenId')::uuid))::int AS dangling
       FROM reg_citizens c WHERE c.record->>'fatherCitizenId' IS NOT NULL`,
    );
    assert.ok(linked!.children > 1_000, `${linked!.children} children with a father`);
    assert.equal(linked!.dangling, 0, 'every father named is a registered record');
  });
});
