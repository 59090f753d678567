import type { AuditLog } from '@cancuoc/audit';
import type { ServiceAuth } from '@cancuoc/auth';
import type { Database, EventStore } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Transport } from '@cancuoc/messaging';
import { migrateServiceDatabase, startService } from '@cancuoc/runtime';
import { Operations } from './application/operations.js';
import { Subscriptions } from './application/subscriptions.js';
import type { DataSharingConfig, StorageConfig } from './config.js';
import { DataSharingModule, type StartOptions } from './data-sharing.module.js';
import { dataSharingMigrations } from './infrastructure/migrations/index.js';

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

/** Starts data sharing: its module on the service chassis (libs/runtime). */
export async function startDataSharing(
  config: DataSharingConfig,
  options: StartOptions = {},
): Promise<RunningDataSharing> {
  const started = await startService(DataSharingModule.forRoot(config, options));
  const { db, store, transport, audit, auth } = started.chassis;
  return {
    grpc: started.grpc,
    db,
    store,
    transport,
    audit,
    subscriptions: started.get(Subscriptions),
    operations: started.get(Operations),
    auth,
    stop: started.stop,
  };
}

/** Applies pending migrations and returns the names applied (`node dist/main.js migrate`). */
export function migrateDataSharing(config: StorageConfig): Promise<readonly string[]> {
  return migrateServiceDatabase({ name: 'data-sharing', migrations: dataSharingMigrations }, config);
}
