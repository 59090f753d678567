/**
 * Data sharing's executable (server mode), as every service's: `main.js migrate` applies pending
 * migrations and exits (the deployment's migration job); `main.js verify-audit` checks the audit
 * log's hash chain (exit 0 intact, 2 broken); `main.js [--migrate]` serves, telemetry first and
 * last (libs/runtime).
 */
import { runServiceMain } from '@cancuoc/runtime';
import { migrateDataSharing, startDataSharing } from './app.js';
import { configFromEnv, storageConfigFromEnv } from './config.js';

await runServiceMain({
  name: 'data-sharing',
  auditChain: 'data-sharing',
  storageConfigFromEnv,
  configFromEnv,
  migrate: migrateDataSharing,
  start: (config, { migrate, logger }) => startDataSharing(config, { migrate, logger }),
});
