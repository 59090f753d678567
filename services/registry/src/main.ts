/**
 * The registry's executable (server mode), as every service's: `main.js migrate` applies pending
 * migrations and exits (the deployment's migration job); `main.js [--migrate]` serves, telemetry
 * first and last (libs/runtime).
 */
import { runServiceMain } from '@cancuoc/runtime';
import { migrateRegistry, startRegistry } from './app.js';
import { configFromEnv, storageConfigFromEnv } from './config.js';

await runServiceMain({
  name: 'registry',
  auditChain: 'registry',
  storageConfigFromEnv,
  configFromEnv,
  migrate: migrateRegistry,
  start: (config, { migrate, logger }) => startRegistry(config, { migrate, logger }),
});
