import { NestFactory } from '@nestjs/core';
import type { Database, EventStore } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Relay, Transport } from '@cancuoc/messaging';
import type { CardJobs } from './application/card-jobs.js';
import type { CardQueries } from './application/card-queries.js';
import type { DocumentSigners } from './application/ports.js';
import {
  CardProductionModule,
  CardProductionRuntime,
  migrateCardProductionDatabase,
  type StartOptions,
} from './card-production.module.js';
import { assertServable, type CardProductionConfig, type StorageConfig } from './config.js';

export type { StartOptions };

export interface RunningCardProduction {
  readonly grpc: RunningGrpcServer;
  readonly db: Database;
  readonly store: EventStore;
  readonly relay: Relay;
  /** The transport it publishes to and consumes from (its own in-process log when embedded). */
  readonly transport: Transport;
  readonly jobs: CardJobs;
  readonly queries: CardQueries;
  readonly signers: DocumentSigners;
  /** Looks for expired leases now instead of at the next tick (tests move the clock). */
  sweepLeases(): Promise<number>;
  /** Stops taking calls, lets the background work finish what it holds, and closes. */
  stop(): Promise<void>;
}

/** Starts card production: a Nest application context around `CardProductionModule`. */
export async function startCardProduction(
  config: CardProductionConfig,
  options: StartOptions = {},
): Promise<RunningCardProduction> {
  assertServable(config, options.documentSigners !== undefined);
  const app = await NestFactory.createApplicationContext(CardProductionModule.forRoot(config, options), {
    logger: false,
    abortOnError: false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const runtime = app.get(CardProductionRuntime);
  return {
    grpc: runtime.grpc!,
    db: runtime.db,
    store: runtime.store,
    relay: runtime.relay,
    transport: runtime.transport,
    jobs: runtime.jobs,
    queries: runtime.queries,
    signers: runtime.signers,
    sweepLeases: () => runtime.sweeper.sweep(),
    stop: () => app.close(),
  };
}

/**
 * Applies card production's pending migrations and returns the names applied: what the deployment's
 * migration job runs before a rollout (`node dist/main.js migrate`).
 */
export function migrateCardProduction(config: StorageConfig): Promise<readonly string[]> {
  return migrateCardProductionDatabase(config);
}
