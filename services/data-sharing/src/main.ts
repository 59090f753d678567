/**
 * Runs data sharing on its own (server mode): configuration from the environment.
 * `main.js migrate` applies pending migrations and exits (the deployment's migration job);
 * `main.js verify-audit` checks the audit log's hash chain and exits 0 if intact, 2 if not;
 * `main.js --migrate` migrates, then serves.
 */
import { AuditLog } from '@cancuoc/audit';
import { Database } from '@cancuoc/eventstore';
import { migrateDataSharing, startDataSharing } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

const say = (line: Record<string, unknown>) =>
  process.stdout.write(
    `${JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  );

try {
  // The migration job and the audit check need the database only: no token key.
  if (process.argv[2] === 'migrate') {
    say({
      level: 'info',
      msg: 'data-sharing migrated',
      applied: await migrateDataSharing(storageConfigFromEnv()),
    });
    process.exit(0);
  }
  if (process.argv[2] === 'verify-audit') {
    const storage = storageConfigFromEnv();
    const db = await Database.connect({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir });
    try {
      const result = await new AuditLog(db, { chain: 'data-sharing' }).verify();
      say({ level: result.ok ? 'info' : 'error', msg: 'audit log verified', ...result });
      process.exitCode = result.ok ? 0 : 2;
    } finally {
      await db.close();
    }
    process.exit();
  }
  const config = configFromEnv();
  // Embedded, data sharing migrates its own PGlite; against a server, only when asked (a deploy step).
  const running = await startDataSharing(config, {
    migrate: process.argv.includes('--migrate') || !config.databaseUrl,
  });
  say({ level: 'info', msg: 'data-sharing started', port: running.grpc.port });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say({ level: 'info', msg: 'data-sharing stopping', signal });
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (error) {
  const message =
    error instanceof ConfigError ? error.message : `start-up failed: ${(error as Error).message}`;
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: message })}\n`);
  process.exit(1);
}
