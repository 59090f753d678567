/**
 * Card production's executable (server mode), as every service's: `main.js migrate` applies
 * pending migrations and exits (the deployment's migration job); `main.js [--migrate]` serves,
 * telemetry first and last (libs/runtime).
 */
import { runServiceMain } from '@cancuoc/runtime';
import { migrateCardProduction, startCardProduction } from './app.js';
import { ConfigError, configFromEnv, storageConfigFromEnv } from './config.js';

await runServiceMain({
  name: 'card-production',
  auditChain: 'card-production',
  storageConfigFromEnv,
  configFromEnv,
  migrate: migrateCardProduction,
  embedded: (config) => !config.databaseUrl,
  start: (config, { migrate, logger }) =>
    startCardProduction(config, {
      migrate,
      logger,
      onError: (component, error) => logger.warn('card-production.background_error', { component, error }),
    }),
  configError: ConfigError,
});
