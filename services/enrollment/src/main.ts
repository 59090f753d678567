/**
 * Enrollment's executable (server mode), as every service's: `main.js migrate` applies pending
 * migrations and exits (the deployment's migration job); `main.js [--migrate]` serves, telemetry
 * first and last (libs/runtime).
 */
import { runServiceMain } from '@cancuoc/runtime';
import { migrateEnrollment, startEnrollment } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

await runServiceMain({
  name: 'enrollment',
  auditChain: 'enrollment',
  storageConfigFromEnv,
  configFromEnv,
  migrate: migrateEnrollment,
  embedded: (config) => !config.databaseUrl,
  start: (config, { migrate, logger }) =>
    startEnrollment(config, {
      migrate,
      logger,
      onError: (error) => logger.warn('enrollment.background_error', { error }),
    }),
  configError: ConfigError,
});
