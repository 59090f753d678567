/**
 * Runs the registry on its own (server mode): configuration from the environment.
 * `main.js migrate` applies pending migrations and exits (the deployment's migration job);
 * `main.js --migrate` migrates, then serves. Telemetry starts first and stops last, so that the
 * whole life of the service is traced and its last spans and metrics are flushed.
 */
import { createLogger, logLevelFromEnv } from '@cancuoc/observability';
import { startTelemetry } from '@cancuoc/observability/sdk';
import { migrateRegistry, startRegistry } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

const logger = createLogger({
  service: process.env.OTEL_SERVICE_NAME || 'registry',
  level: logLevelFromEnv(),
});

try {
  if (process.argv[2] === 'migrate') {
    const applied = await migrateRegistry(storageConfigFromEnv());
    logger.info('registry migrated', { applied });
    process.exit(0);
  }
  const config = configFromEnv();
  const telemetry = await startTelemetry({ serviceName: 'registry', logger });
  // Embedded, the registry migrates its own PGlite; against a server, only when asked (a deploy step).
  const running = await startRegistry(config, {
    migrate: process.argv.includes('--migrate') || !config.databaseUrl,
    logger,
  });
  logger.info('registry started', {
    port: running.grpc.port,
    traces: telemetry.traces,
    metrics: telemetry.metrics,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('registry stopping', { signal });
    void running
      .stop()
      .then(
        () => 0,
        (error: unknown) => {
          logger.error('registry stop failed', { error });
          return 1;
        },
      )
      .then(async (code) => {
        await telemetry.shutdown();
        process.exit(code);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError)
    logger.error('registry configuration refused', { problem: error.message });
  else logger.error('registry start-up failed', { error });
  process.exit(1);
}
