import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import {
  DevelopmentIssuer,
  developmentIssuerFile,
  developmentTokens,
  identities,
  type AuthConfig,
  type Identity,
  type TokenSource,
} from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  createClient,
  type GrpcClient,
  type TlsFiles,
} from '@cancuoc/grpc';
import { CardProductionService, EncodingStationService } from '@cancuoc/proto';
import { createTestDatabase, TEST_REDIS_URL } from '@cancuoc/testing';
import { startCardProduction, type RunningCardProduction, type StartOptions } from '../app.js';
import type { CardProductionConfig } from '../config.js';
import { pemBody } from '../infrastructure/keys/pem.js';
import { EnrollmentDouble } from './enrollment-double.js';

/**
 * The development issuer the tests' services trust (unless a fixture is given another): every
 * token in the tests is minted by it, as the embedded platform's are.
 */
export const testIssuer = await DevelopmentIssuer.inMemory();

/** Card production's audience. */
export const AUDIENCE = 'card-production';

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

/** A token for card production of `identity`, from `issuer`. */
export function tokenOf(identity: Identity, issuer: DevelopmentIssuer = testIssuer): Promise<string> {
  return issuer.mint({ ...identity, audience: AUDIENCE });
}

/** An encoding station's tokens (`station:<id>`, role `encoding-station`), as the simulator takes them. */
export function stationTokens(stationId: string, issuer: DevelopmentIssuer = testIssuer): TokenSource {
  return developmentTokens(issuer, identities.encodingStation(stationId));
}

/** A client of `service` at card production calling as `identity` (over mutual TLS with `tls`). */
export function clientAs<S extends DescService>(
  service: S,
  address: string,
  identity: Identity,
  issuer: DevelopmentIssuer = testIssuer,
  tls?: TlsFiles,
): GrpcClient<S> {
  const tokens = developmentTokens(issuer, identity);
  return createClient(service, address, {
    metadata: async () => ({ authorization: `Bearer ${await tokens.token(AUDIENCE)}` }),
    defaultTimeoutMs: 20_000,
    ...(tls && { credentials: channelCredentialsFor(tls) }),
  });
}

export function stationClient(
  address: string,
  stationId: string,
  issuer: DevelopmentIssuer = testIssuer,
): GrpcClient<typeof EncodingStationService> {
  return clientAs(EncodingStationService, address, identities.encodingStation(stationId), issuer);
}

export function adminClient(
  address: string,
  identity: Identity = identities.administrator('ops-01'),
  issuer: DevelopmentIssuer = testIssuer,
): GrpcClient<typeof CardProductionService> {
  return clientAs(CardProductionService, address, identity, issuer);
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
  /** The issuer the service trusts. */
  readonly issuer: DevelopmentIssuer;
  /**
   * With `embeddedIssuer`: the embedded platform's folder holding the issuer's key file
   * (`issuer.json`), where the station simulator and the `cancuoc` commands find it.
   */
  readonly platformDir: string | undefined;
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
  /**
   * Trust a development issuer whose keys are in a file of a scratch platform folder, as the
   * embedded platform does (`auth: { mode: 'embedded' }`), instead of {@link testIssuer}: for
   * tests whose other processes (the station simulator, `cancuoc` commands) mint their own tokens.
   */
  readonly embeddedIssuer?: boolean;
  /**
   * Mutual TLS as in server mode: card production's identity (server and client), enrollment's
   * (the double serves it), and the administrator's client certificate for the fixture's client.
   */
  readonly tls?: { readonly service: TlsFiles; readonly enrollment: TlsFiles; readonly admin: TlsFiles };
}

/**
 * Card production on a fresh PostgreSQL database, a Redis key space of its own, a development PKI
 * in a scratch key directory, and the enrollment test double over gRPC; short leases and fast
 * loops, so the tests wait seconds, not minutes.
 */
export async function startFixture(fixture: FixtureOptions = {}): Promise<Fixture> {
  const db = await createTestDatabase('card_production');
  const keyDir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-keys-'));
  const platformDir = fixture.embeddedIssuer
    ? await mkdtemp(join(tmpdir(), 'cancuoc-cp-platform-'))
    : undefined;
  const issuer = platformDir ? await DevelopmentIssuer.open(developmentIssuerFile(platformDir)) : testIssuer;
  const auth: AuthConfig = platformDir
    ? { mode: 'embedded', issuerFile: developmentIssuerFile(platformDir) }
    : { mode: 'issuer', issuer };
  const enrollment = new EnrollmentDouble(issuer, fixture.tls?.enrollment);
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
    auth,
    tls: fixture.tls?.service,
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
  const admin = clientAs(
    CardProductionService,
    running.grpc.address,
    identities.administrator('ops-01'),
    issuer,
    fixture.tls?.admin,
  );
  const csca = pemBody(await readFile(join(keyDir, 'csca.cert.pem'), 'utf8'));
  return {
    running,
    enrollment,
    config,
    issuer,
    platformDir,
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
      if (platformDir) await rm(platformDir, { recursive: true, force: true });
    },
  };
}
