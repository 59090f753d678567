import type { Database } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import { migrateServiceDatabase, startService } from '@cancuoc/runtime';
import { Registry } from './application/registry.js';
import type { RegistryConfig, StorageConfig } from './config.js';
import { REGISTRY_MIGRATIONS, RegistryModule, type StartOptions } from './registry.module.js';

export type { StartOptions };

export interface RunningRegistry {
  readonly registry: Registry;
  readonly grpc: RunningGrpcServer;
  readonly db: Database;
  /** Stops taking calls, finishes the calls, projection batch and relay batch in flight, and closes. */
  stop(): Promise<void>;
}

/** Starts the registry: its module on the service chassis (libs/runtime). */
export async function startRegistry(
  config: RegistryConfig,
  options: StartOptions = {},
): Promise<RunningRegistry> {
  const started = await startService(RegistryModule.forRoot(config, options));
  return {
    registry: started.get(Registry),
    grpc: started.grpc,
    db: started.chassis.db,
    stop: started.stop,
  };
}

/**
 * Applies the registry's pending migrations and returns the names applied: what the deployment's
 * migration job runs before a rollout (`node dist/main.js migrate`).
 */
export function migrateRegistry(config: StorageConfig): Promise<readonly string[]> {
  return migrateServiceDatabase({ name: 'registry', migrations: REGISTRY_MIGRATIONS }, config);
}
