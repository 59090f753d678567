/**
 * Runs the registry on its own (server mode): configuration from the environment.
 * `main.js migrate` applies pending migrations and exits (the deployment's migration job);
 * `main.js --migrate` migrates, then serves.
 */
import { migrateRegistry, startRegistry } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

try {
  if (process.argv[2] === 'migrate') {
    const applied = await migrateRegistry(storageConfigFromEnv());
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'registry migrated', applied })}\n`);
    process.exit(0);
  }
  const config = configFromEnv();
  // Embedded, the registry migrates its own PGlite; against a server, only when asked (a deploy step).
  const running = await startRegistry(config, {
    migrate: process.argv.includes('--migrate') || !config.databaseUrl,
  });
  process.stdout.write(
    `${JSON.stringify({ level: 'info', msg: 'registry started', port: running.grpc.port })}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'registry stopping', signal })}\n`);
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
