/**
 * Runs enrollment on its own (server mode): configuration from the environment.
 * `main.js migrate` applies pending migrations and exits (the deployment's migration job);
 * `main.js --migrate` migrates, then serves.
 */
import { migrateEnrollment, startEnrollment } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

const log = (level: string, msg: string, fields: object = {}) =>
  process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);

try {
  if (process.argv[2] === 'migrate') {
    const applied = await migrateEnrollment(storageConfigFromEnv());
    log('info', 'enrollment migrated', { applied });
    process.exit(0);
  }
  const config = configFromEnv();
  // Embedded, enrollment migrates its own PGlite; against a server, only when asked (a deploy step).
  const running = await startEnrollment(config, {
    migrate: process.argv.includes('--migrate') || !config.databaseUrl,
    // Background failures by class name only: messages may come from drivers and are not ours to log.
    onError: (error) =>
      log('warn', 'enrollment.background_error', { error: (error as Error)?.name ?? 'unknown' }),
  });
  log('info', 'enrollment started', { port: running.grpc.port });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'enrollment stopping', { signal });
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
