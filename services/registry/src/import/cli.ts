/**
 * Bulk import of an existing population into the registry (initial collection from a file):
 *
 *   node services/registry/dist/import/cli.js --database-url postgres://… --file people.csv \
 *     [--format csv|ndjson] [--import-id ID] [--rejections out.ndjson] [--batch-size N]
 *     [--concurrency N] [--actor ID] [--migrate] [--json]
 *
 * Progress goes to stderr (a bar on a terminal, a line a second otherwise), the summary to stdout.
 * Exit codes: 0 done; 1 failed (what committed stays: run the same command again to resume);
 * 2 bad arguments; 3 refused (the file or import id cannot be used as asked); 130 stopped by a
 * signal after committing the batches in flight.
 */
import { basename, extname } from 'node:path';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Database, EventStore } from '@cancuoc/eventstore';
import { CalendarDate } from '@cancuoc/identity';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_IMPORT_ACTOR,
  fingerprintOf,
  importCitizens,
  type ImportFormat,
  type ImportProgress,
} from '../application/import/citizen-import.js';
import { ImportRefusedError } from '../application/import/errors.js';
import { ConfigError, familyRulesFromEnv } from '../config.js';
import type { FamilyRules } from '../domain/citizen/family-rules.js';
import { registryMigrations } from '../infrastructure/migrations/index.js';
import { progressBar, progressLine, summaryText } from './progress-bar.js';

const USAGE = `usage: node services/registry/dist/import/cli.js --file <path> [options]

  --file <path>           the population file: CSV with a header row, or NDJSON
  --database-url <url>    the registry's PostgreSQL (default: $DATABASE_URL)
  --format csv|ndjson     default: from the file's extension (.csv, .ndjson, .jsonl)
  --import-id <id>        names the import; the same id resumes it (default: derived from the file)
  --rejections <path>     report of refused rows (default: <file>.rejections.ndjson)
  --batch-size <n>        rows per transaction (default ${DEFAULT_BATCH_SIZE})
  --concurrency <n>       batches written at once (default ${DEFAULT_CONCURRENCY})
  --actor <id>            who runs the import, recorded on every event (default ${DEFAULT_IMPORT_ACTOR})
  --migrate               apply the registry's database migrations first
  --json                  print the summary as one JSON object
  --help`;

const EXIT = { done: 0, failed: 1, usage: 2, refused: 3, interrupted: 130 } as const;

class UsageError extends Error {}

interface Arguments {
  readonly file: string;
  readonly databaseUrl: string;
  readonly format: ImportFormat;
  readonly importId: string | undefined;
  readonly rejections: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly actor: string;
  /** The family rules' ages, from the same variables the service reads. */
  readonly familyRules: FamilyRules;
  readonly migrate: boolean;
  readonly json: boolean;
}

function wholeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number`);
  return n;
}

function parse(argv: string[]): Arguments | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string' },
        'database-url': { type: 'string' },
        format: { type: 'string' },
        'import-id': { type: 'string' },
        rejections: { type: 'string' },
        'batch-size': { type: 'string' },
        concurrency: { type: 'string' },
        actor: { type: 'string' },
        migrate: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const file = values.file;
  if (!file) throw new UsageError('--file is required');
  const databaseUrl = values['database-url'] ?? process.env['DATABASE_URL'];
  if (!databaseUrl) throw new UsageError('--database-url (or DATABASE_URL) is required');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new UsageError('the database URL must be postgres://…');
  const extension = extname(file).toLowerCase();
  const format =
    values.format ??
    (extension === '.csv' ? 'csv' : ['.ndjson', '.jsonl'].includes(extension) ? 'ndjson' : '');
  if (format !== 'csv' && format !== 'ndjson') {
    throw new UsageError(
      values.format
        ? '--format is csv or ndjson'
        : `cannot tell the format of ${basename(file)}: give --format`,
    );
  }
  return {
    file,
    databaseUrl,
    format,
    importId: values['import-id'],
    rejections: values.rejections ?? `${file}.rejections.ndjson`,
    batchSize: wholeNumber('batch-size', values['batch-size'], DEFAULT_BATCH_SIZE),
    concurrency: wholeNumber('concurrency', values.concurrency, DEFAULT_CONCURRENCY),
    actor: values.actor ?? DEFAULT_IMPORT_ACTOR,
    familyRules: familyRules(),
    migrate: values.migrate ?? false,
    json: values.json ?? false,
  };
}

/** The family rules' ages from `REGISTRY_MIN_PARENT_AGE_YEARS` and the marriage ages, as the service. */
function familyRules(): FamilyRules {
  try {
    return familyRulesFromEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Redraws a bar on a terminal; on anything else writes a plain line at most once a second. */
function progressReporter(): { update(p: ImportProgress): void; finish(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 1000)) return;
      last = now;
      if (tty) {
        process.stderr.write(`\r${progressBar(p)}\x1b[K`);
        drawn = true;
      } else {
        process.stderr.write(`${progressLine(p)}\n`);
      }
    },
    finish() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

function isMissingTable(error: unknown): boolean {
  return (error as { code?: unknown }).code === '42P01';
}

async function run(args: Arguments): Promise<number> {
  try {
    if (!(await stat(args.file)).isFile()) throw new UsageError(`${args.file} is not a file`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${args.file}: ${(error as Error).message}`);
  }
  const importId = args.importId ?? `file-${(await fingerprintOf(args.file)).slice(0, 16)}`;
  const db = await Database.connect({
    databaseUrl: args.databaseUrl,
    applicationName: 'cancuoc-registry-import',
    poolSize: args.concurrency + 2,
    migrations: registryMigrations,
  });
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nstopping now; uncommitted batches are rolled back\n');
      process.exit(EXIT.interrupted);
    }
    process.stderr.write('\nstopping after the batches in flight commit (again to stop at once)\n');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const progress = progressReporter();
  try {
    if (args.migrate) await db.migrate();
    process.stderr.write(
      `import ${importId}: ${args.file} (${args.format}); run again with --import-id ${importId} to resume\n`,
    );
    const summary = await importCitizens({
      store: new EventStore(db),
      file: args.file,
      format: args.format,
      importId,
      today: () => CalendarDate.fromInstant(new Date()),
      rejectionsFile: args.rejections,
      batchSize: args.batchSize,
      concurrency: args.concurrency,
      actor: args.actor,
      familyRules: args.familyRules,
      onProgress: (p) => progress.update(p),
      signal: controller.signal,
    });
    progress.finish();
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ ...summary, rejectionsFile: args.rejections })}\n`
        : summaryText(summary, args.rejections),
    );
    return summary.status === 'completed' ? EXIT.done : EXIT.interrupted;
  } catch (error) {
    progress.finish();
    if (error instanceof ImportRefusedError) {
      process.stderr.write(`import ${importId} refused: ${error.message}\n`);
      return EXIT.refused;
    }
    if (isMissingTable(error)) {
      process.stderr.write(
        `import ${importId} failed: the database lacks the registry's tables; run with --migrate\n`,
      );
      return EXIT.failed;
    }
    process.stderr.write(
      `import ${importId} failed: ${(error as Error).message}\n` +
        'what has committed stays; run the same command again to resume\n',
    );
    return EXIT.failed;
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  let args: Arguments | 'help';
  try {
    args = parse(process.argv.slice(2));
    if (args === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    return await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`import failed: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main();
