import { NestFactory } from '@nestjs/core';
import type { AuditLog } from '@cancuoc/audit';
import type { Database } from '@cancuoc/eventstore';
import type { RunningGrpcServer } from '@cancuoc/grpc';
import type { Relay } from '@cancuoc/messaging';
import type { Enrollment } from './application/enrollment.js';
import type { Reprocessor } from './application/pipeline.js';
import type { EnrollmentConfig, StorageConfig } from './config.js';
import {
  EnrollmentModule,
  EnrollmentRuntime,
  migrateEnrollmentDatabase,
  type StartOptions,
} from './enrollment.module.js';

export type { StartOptions };

export interface RunningEnrollment {
  readonly enrollment: Enrollment;
  readonly grpc: RunningGrpcServer;
  readonly relay: Relay;
  readonly reprocessor: Reprocessor;
  readonly audit: AuditLog;
  readonly db: Database;
  /** Stops taking calls, finishes the calls and background batches in flight, and closes. */
  stop(): Promise<void>;
}

/** Starts enrollment: a Nest application context around `EnrollmentModule`. */
export async function startEnrollment(
  config: EnrollmentConfig,
  options: StartOptions = {},
): Promise<RunningEnrollment> {
  const app = await NestFactory.createApplicationContext(EnrollmentModule.forRoot(config, options), {
    logger: false,
    abortOnError: false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const runtime = app.get(EnrollmentRuntime);
  return {
    enrollment: runtime.enrollment,
    grpc: runtime.grpc!,
    relay: runtime.relay,
    reprocessor: runtime.reprocessor,
    audit: runtime.audit,
    db: runtime.db,
    stop: () => app.close(),
  };
}

/**
 * Applies enrollment's pending migrations and returns the names applied: what the deployment's
 * migration job runs before a rollout (`node dist/main.js migrate`).
 */
export function migrateEnrollment(config: StorageConfig): Promise<readonly string[]> {
  return migrateEnrollmentDatabase(config);
}
