import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Database, PGLITE_SETTINGS } from './database.js';
import { backends, type OpenStore } from './test-support/backends.js';

for (const backend of backends) {
  describe(`database values (${backend.name})`, () => {
    let open: OpenStore;
    before(async () => {
      open = await backend.open();
      await open.db.query(
        'CREATE TABLE t_values (id int PRIMARY KEY, b bytea, tags text[], at timestamptz, n int8, j jsonb)',
      );
    });
    after(() => open?.close());

    it('round-trips bytea of every byte value and size, given as Uint8Array, Buffer or a view', async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = randomBytes(300_000);
      const pooled = Buffer.from('pooled bytes');
      const view = new Uint8Array(large.buffer, large.byteOffset + 7, 1000);
      const cases: Uint8Array[] = [new Uint8Array(0), all, large, pooled, view];
      for (const [id, bytes] of cases.entries()) {
        await open.db.query('INSERT INTO t_values (id, b) VALUES ($1, $2)', [id, bytes]);
        const [row] = await open.db.query<{ b: Uint8Array; hex: string }>(
          "SELECT b, encode(b, 'hex') AS hex FROM t_values WHERE id = $1",
          [id],
        );
        assert.ok(row!.b instanceof Uint8Array);
        assert.deepEqual(Buffer.from(row!.b), Buffer.from(bytes), `case ${id}`);
        assert.equal(row!.hex, Buffer.from(bytes).toString('hex'), `stored as given, case ${id}`);
      }
      const [nulled] = await open.db.query<{ b: Uint8Array | null }>('SELECT NULL::bytea AS b');
      assert.equal(nulled!.b, null);
    });

    it('parses arrays, int8, jsonb and timestamps (PGlite: the parsers moved out of the instance still apply)', async () => {
      const [row] = await open.db.query<{ tags: string[]; n: string | number; j: unknown; at: unknown }>(
        `SELECT ARRAY['a', 'b,c', NULL]::text[] AS tags, 9007199254740993::int8 AS n, '{"k": [1]}'::jsonb AS j,
                '2026-12-02T10:00:00Z'::timestamptz AS at`,
      );
      assert.deepEqual(row!.tags, ['a', 'b,c', null]);
      assert.deepEqual(row!.j, { k: [1] });
      assert.equal(String(row!.n), '9007199254740993');
      assert.equal(new Date(String(row!.at)).toISOString(), '2026-12-02T10:00:00.000Z');
    });
  });
}

describe('PGlite in a folder', () => {
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'pglite-folder-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('makes the database on first open, keeps it on the next, and runs on PGLITE_SETTINGS both times', async () => {
    const dataDir = join(root, 'service');
    const first = await Database.connect({ dataDir });
    try {
      assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'a cluster in the folder');
      await first.query('CREATE TABLE kept (id int PRIMARY KEY)');
      await first.query('INSERT INTO kept VALUES (7)');
    } finally {
      await first.close();
    }
    const again = await Database.connect({ dataDir });
    try {
      assert.deepEqual(await again.query('SELECT id FROM kept'), [{ id: 7 }]);
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        const [row] = await again.query<Record<string, string>>(`SHOW ${name}`);
        assert.equal(row![name], value, name);
      }
    } finally {
      await again.close();
    }
  });

  it('says which folder it could not make a database in', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(Database.connect({ dataDir: join(file, 'db') }), (error: Error) => {
      assert.match(error.message, /^PGlite could not create its database in .*a-file\/db: /);
      return true;
    });
  });
});
