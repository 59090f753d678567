/**
 * Creates a PGlite cluster (initdb) in the folder given as the first argument, starting it with the
 * Postgres parameters given (JSON) as the second, then exits. `Database.connect` runs it in a child
 * process for a folder with no cluster yet: PGlite's initdb runs a second Postgres and initdb's own
 * WASM module, about 450 MB that the garbage collector gives back only some time later, so in the
 * opening process it made a fresh platform 200–450 MB bigger than a restarted one
 * (docs/benchmarks.md, embedded memory).
 */
import { PGlite } from '@electric-sql/pglite';

const [dataDir, startParams] = process.argv.slice(2);
if (!dataDir || !startParams) throw new Error('usage: pglite-initdb DATA_DIR START_PARAMS_JSON');
const pglite = await PGlite.create({ dataDir, startParams: JSON.parse(startParams) as string[] });
await pglite.close();
