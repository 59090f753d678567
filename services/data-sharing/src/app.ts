import { NestFactory } from '@nestjs/core';
import type { AuditLog } from '@cancuoc/audit';
import { AuthConfigError, serviceAuth, type ServiceAuth } from '@cancuoc/auth';
import type { Database, EventStore } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Transport } from '@cancuoc/messaging';
import type { Operations } from './application/operations.js';
import type { Subscriptions } from './application/subscriptions.js';
import { ConfigError, type DataSharingConfig, type StorageConfig } from './config.js';
import {
  DataSharingModule,
  DataSharingRuntime,
  migrateDataSharingDatabase,
  type StartOptions,
} from './data-sharing.module.js';
import { JsonLogger } from './infrastructure/logger.js';

export type { StartOptions };

export interface RunningDataSharing {
  readonly grpc: RunningGrpcServer;
  readonly db: Database;
  readonly store: EventStore;
  readonly transport: Transport;
  readonly audit: AuditLog;
  readonly subscriptions: Subscriptions;
  readonly operations: Operations;
  /** The guard of every RPC (its refusals) and data sharing's own tokens. */
  readonly auth: ServiceAuth;
  /** Stops taking calls, lets every loop finish its batch, and closes. */
  stop(): Promise<void>;
}

/**
 * Who may call data sharing (audience `data-sharing`): tokens of the configured OpenID provider,
 * or of the embedded development issuer, checked against the platform policy; refusals logged
 * through data sharing's own logger. An unusable credential is a refused configuration.
 */
async function dataSharingAuth(config: DataSharingConfig, logger: NonNullable<StartOptions['logger']>) {
  try {
    return await serviceAuth(config.auth, 'data-sharing', { logger });
  } catch (error) {
    if (error instanceof AuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Starts data sharing: its auth first, then a Nest application context around `DataSharingModule`. */
export async function startDataSharing(
  config: DataSharingConfig,
  options: StartOptions = {},
): Promise<RunningDataSharing> {
  const logger = options.logger ?? new JsonLogger();
  const auth = await dataSharingAuth(config, logger);
  const module = DataSharingModule.forRoot(config, { ...options, logger }, auth);
  const app = await NestFactory.createApplicationContext(module, {
    logger: false,
    abortOnError: false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const runtime = app.get(DataSharingRuntime);
  return {
    grpc: runtime.grpc!,
    db: runtime.db,
    store: runtime.store,
    transport: runtime.transport,
    audit: runtime.audit,
    subscriptions: runtime.subscriptions,
    operations: runtime.operations,
    auth,
    stop: () => app.close(),
  };
}

/** Applies pending migrations and returns the names applied (`node dist/main.js migrate`). */
export function migrateDataSharing(config: StorageConfig): Promise<readonly string[]> {
  return migrateDataSharingDatabase(config);
}
