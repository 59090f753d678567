import { NestFactory } from '@nestjs/core';
import type { AuditLog } from '@cancuoc/audit';
import type { Database, EventStore } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Transport } from '@cancuoc/messaging';
import type { Operations } from './application/operations.js';
import type { Subscriptions } from './application/subscriptions.js';
import type { DataSharingConfig, StorageConfig } from './config.js';
import {
  DataSharingModule,
  DataSharingRuntime,
  migrateDataSharingDatabase,
  type StartOptions,
} from './data-sharing.module.js';

export type { StartOptions };

export interface RunningDataSharing {
  readonly grpc: RunningGrpcServer;
  readonly db: Database;
  readonly store: EventStore;
  readonly transport: Transport;
  readonly audit: AuditLog;
  readonly subscriptions: Subscriptions;
  readonly operations: Operations;
  /** Stops taking calls, lets every loop finish its batch, and closes. */
  stop(): Promise<void>;
}

/** Starts data sharing: a Nest application context around `DataSharingModule`. */
export async function startDataSharing(
  config: DataSharingConfig,
  options: StartOptions = {},
): Promise<RunningDataSharing> {
  const app = await NestFactory.createApplicationContext(DataSharingModule.forRoot(config, options), {
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
    stop: () => app.close(),
  };
}

/** Applies pending migrations and returns the names applied (`node dist/main.js migrate`). */
export function migrateDataSharing(config: StorageConfig): Promise<readonly string[]> {
  return migrateDataSharingDatabase(config);
}
