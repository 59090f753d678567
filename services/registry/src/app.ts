import { NestFactory } from '@nestjs/core';
import type { Database } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Relay } from '@cancuoc/messaging';
import type { Registry } from './application/registry.js';
import type { RegistryConfig, StorageConfig } from './config.js';
import {
  migrateRegistryDatabase,
  RegistryModule,
  RegistryRuntime,
  type StartOptions,
} from './registry.module.js';

export type { StartOptions };

export interface RunningRegistry {
  readonly registry: Registry;
  readonly grpc: RunningGrpcServer;
  readonly relay: Relay;
  readonly db: Database;
  /** Stops taking calls, finishes the calls, projection batch and relay batch in flight, and closes. */
  stop(): Promise<void>;
}

/** Starts the registry: a Nest application context around `RegistryModule`. */
export async function startRegistry(
  config: RegistryConfig,
  options: StartOptions = {},
): Promise<RunningRegistry> {
  const app = await NestFactory.createApplicationContext(RegistryModule.forRoot(config, options), {
    logger: false,
    abortOnError: false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const runtime = app.get(RegistryRuntime);
  return {
    registry: runtime.registry,
    grpc: runtime.grpc!,
    relay: runtime.relay,
    db: runtime.db,
    stop: () => app.close(),
  };
}

/**
 * Applies the registry's pending migrations and returns the names applied: what the deployment's
 * migration job runs before a rollout (`node dist/main.js migrate`).
 */
export async function migrateRegistry(config: StorageConfig): Promise<readonly string[]> {
  return migrateRegistryDatabase(config);
}
