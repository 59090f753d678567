import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeClient, createClient, signToken, type GrpcClient } from '@cancuoc/grpc';
import { CardProductionService, EncodingStationService } from '@cancuoc/proto';
import { createTestDatabase, TEST_REDIS_URL } from '@cancuoc/testing';
import { startCardProduction, type RunningCardProduction, type StartOptions } from '../app.js';
import type { CardProductionConfig } from '../config.js';
import { pemBody } from '../infrastructure/keys/pem.js';
import { EnrollmentDouble } from './enrollment-double.js';

export const SECRET = 'card-production-test-secret-0123456789-abcdef';

/** A clock the test moves: real time plus an offset. */
export function testClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

export function stationToken(stationId: string, roles: readonly string[] = ['encoding-station']): string {
  return signToken(SECRET, { sub: `station:${stationId}`, aud: 'card-production', roles });
}

export function adminToken(staff = 'ops-01', roles: readonly string[] = ['admin']): string {
  return signToken(SECRET, { sub: `admin:${staff}`, aud: 'card-production', roles });
}

export function stationClient(address: string, stationId: string): GrpcClient<typeof EncodingStationService> {
  const token = stationToken(stationId);
  return createClient(EncodingStationService, address, {
    metadata: () => ({ authorization: `Bearer ${token}` }),
    defaultTimeoutMs: 20_000,
  });
}

export function adminClient(address: string, token = adminToken()): GrpcClient<typeof CardProductionService> {
  return createClient(CardProductionService, address, {
    metadata: () => ({ authorization: `Bearer ${token}` }),
    defaultTimeoutMs: 20_000,
  });
}

/** Polls `probe` until it returns something truthy; generous deadline, for a shared two-core machine. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Fixture {
  readonly running: RunningCardProduction;
  readonly enrollment: EnrollmentDouble;
  readonly config: CardProductionConfig;
  readonly admin: GrpcClient<typeof CardProductionService>;
  readonly clock: ReturnType<typeof testClock>;
  readonly csca: Uint8Array;
  readonly errors: { component: string; error: unknown }[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly config?: Partial<CardProductionConfig>;
  readonly options?: StartOptions;
  /** Start the enrollment double now (default) or leave it down. */
  readonly enrollmentUp?: boolean;
}

/**
 * Card production on a fresh PostgreSQL database, a Redis key space of its own, a development PKI
 * in a scratch key directory, and the enrollment test double over gRPC; short leases and fast
 * loops, so the tests wait seconds, not minutes.
 */
export async function startFixture(fixture: FixtureOptions = {}): Promise<Fixture> {
  const db = await createTestDatabase('card_production');
  const keyDir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-keys-'));
  const enrollment = new EnrollmentDouble(SECRET);
  if (fixture.enrollmentUp ?? true) await enrollment.start();
  else await enrollment.reservePort();
  const clock = testClock();
  const errors: { component: string; error: unknown }[] = [];
  const config: CardProductionConfig = {
    databaseUrl: db.url,
    dataDir: undefined,
    redisUrl: TEST_REDIS_URL,
    redisKeyPrefix: `test:${randomBytes(6).toString('hex')}:`,
    kafkaBrokers: undefined,
    kafkaIdempotent: false,
    kafkaSecurity: {},
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    authSecret: SECRET,
    enrollmentAddress: enrollment.address,
    keyDir,
    developmentPki: true,
    documentSignerDays: 90,
    dataKey: randomBytes(32),
    maxAttempts: 3,
    leaseMs: 60_000,
    heartbeatMs: 15_000,
    retryBackoffMs: 0,
    maxRetryBackoffMs: 0,
    sweepMs: 200,
    pollMs: 200,
    personalisationConcurrency: 4,
    revocationListValidityMs: 3_600_000,
    ...fixture.config,
  };
  const running = await startCardProduction(config, {
    migrate: true,
    clock: clock.now,
    onError: (component, error) => errors.push({ component, error }),
    ...fixture.options,
  });
  const admin = adminClient(running.grpc.address);
  const csca = pemBody(await readFile(join(keyDir, 'csca.cert.pem'), 'utf8'));
  return {
    running,
    enrollment,
    config,
    admin,
    clock,
    csca,
    errors,
    async close() {
      closeClient(admin);
      await running.stop();
      await enrollment.stop();
      await db.drop();
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}
