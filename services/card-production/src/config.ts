import { DEFAULT_UNFINISHED_WORK_AFTER_SECONDS } from '@cancuoc/operations';
import { dirname, join } from 'node:path';
import { AuthConfigError, authConfigFromEnv, type AuthConfig } from '@cancuoc/auth';
import {
  checkTlsFiles,
  grpcListenerFromEnv,
  serverCredentialsFor,
  TlsConfigError,
  type GrpcListenerConfig,
  type TlsFiles,
} from '@cancuoc/grpc';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';

/** How card production is configured: from the environment in server mode, by the launcher when embedded. */
export interface CardProductionConfig {
  /** PostgreSQL server; without it PGlite in `dataDir` (or in memory). */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
  /** Redis for station presence and heartbeat-extended leases; without it, in process. */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key, so environments can share a Redis. */
  readonly redisKeyPrefix: string;
  readonly kafkaBrokers: readonly string[] | undefined;
  readonly kafkaIdempotent: boolean;
  /** TLS and SASL towards Kafka (`KAFKA_TLS_CA_FILE`, `KAFKA_SASL_*`); empty for the test broker. */
  readonly kafkaSecurity: KafkaSecurity;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /**
   * Where callers' tokens (audience `card-production`) come from and how card production gets its
   * own for enrollment: the OpenID provider in server mode, the embedded development issuer otherwise.
   */
  readonly auth: AuthConfig;
  /**
   * Card production's mutual-TLS identity (`CANCUOC_TLS_*`), for its server and its calls to
   * enrollment. Required in server mode; without it, plaintext on loopback (embedded platform, tests).
   */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes, beside a server on mutual TLS. */
  readonly healthListener?: GrpcListenerConfig['healthListener'];
  /** gRPC target of enrollment's PersonalisationDataService. */
  readonly enrollmentAddress: string;
  /**
   * Where the CSCA and Document Signer certificates and keys live; see README "Keys". Undefined
   * only when the caller passes its own `DocumentSigners` (an HSM) to the start function.
   */
  readonly keyDir: string | undefined;
  /** Generate a development CSCA and Document Signers in `keyDir`. Never in production. */
  readonly developmentPki: boolean;
  /** How long a development Document Signer signs before the next one takes over. */
  readonly documentSignerDays: number;
  /** The vault's key-encryption key (32 bytes); undefined: kept in `keyDir/data-key` (embedded). */
  readonly dataKey: Uint8Array | undefined;
  /** Dispatches that may end without a card before a job goes to manual handling (N). */
  readonly maxAttempts: number;
  /**
   * ListUnfinishedWork's threshold when the request sets none (`UNFINISHED_WORK_AFTER_SECONDS`,
   * default ten minutes): work unchanged for longer is listed.
   */
  readonly unfinishedWorkAfterSeconds?: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
  /** How often expired leases are looked for. */
  readonly sweepMs: number;
  /**
   * Longest wait of the personaliser and dispatcher when neither a NOTIFY nor a due time wakes them:
   * the safety net for a lost notification.
   */
  readonly pollMs: number;
  readonly personalisationConcurrency: number;
  /** How long a published revocation list is valid (its `next_update`). */
  readonly revocationListValidityMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * What serving needs beyond migrating: the migration job gets neither the keys nor the vault's key
 * (least privilege), so these are checked when the service starts, not when the configuration is read.
 */
export function assertServable(config: CardProductionConfig, hasOwnSigners: boolean): void {
  if (config.databaseUrl && !config.dataKey) {
    throw new ConfigError('CARD_PRODUCTION_DATA_KEY is required against a real database (32 bytes, base64)');
  }
  if (!config.keyDir && !hasOwnSigners) {
    throw new ConfigError('CARD_PRODUCTION_KEY_DIR is required against a real database');
  }
  try {
    if (config.tls) {
      // Unreadable or mismatched certificate files: said now, not as handshakes that fail later.
      checkTlsFiles(config.tls);
    } else {
      // Without certificates only plaintext on loopback, and never with an OpenID provider (server
      // mode): the same rule the server is started with, checked before anything starts.
      serverCredentialsFor({ tls: undefined, host: config.grpcHost, server: config.auth.mode === 'server' });
    }
  } catch (error) {
    if (error instanceof TlsConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return value;
}

function dataKey(raw: string | undefined): Uint8Array | undefined {
  if (!raw) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('CARD_PRODUCTION_DATA_KEY must be 32 bytes, base64');
  return key;
}

/** Where card production keeps its data: all that applying migrations needs. */
export type StorageConfig = Pick<CardProductionConfig, 'databaseUrl' | 'dataDir' | 'kafkaBrokers'>;

/** The storage part of the configuration: the migration job gets no credentials, keys or vault key. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  const dataDir = databaseUrl ? undefined : env.DATA_DIR || join('.data', 'card-production');
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return { databaseUrl, dataDir, kafkaBrokers: brokers && brokers.length > 0 ? brokers : undefined };
}

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw new ConfigError(error.message);
    throw error;
  }
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): CardProductionConfig {
  const { databaseUrl, dataDir, kafkaBrokers } = storageConfigFromEnv(env);
  const server = databaseUrl !== undefined;
  let auth: AuthConfig;
  let listener: GrpcListenerConfig;
  try {
    // Embedded, the platform's services share one development issuer beside their data folders.
    auth = authConfigFromEnv(env, 'card-production', {
      server,
      embeddedDataDir: dirname(dataDir ?? join('.data', 'card-production')),
    });
    listener = grpcListenerFromEnv(env, { variablePrefix: 'CARD_PRODUCTION', defaultPort: 50053, server });
  } catch (error) {
    if (error instanceof AuthConfigError || error instanceof TlsConfigError)
      throw new ConfigError(error.message);
    throw error;
  }
  const keyDir =
    env.CARD_PRODUCTION_KEY_DIR || (dataDir ? join(dirname(dataDir), 'card-production-keys') : undefined);
  const key = dataKey(env.CARD_PRODUCTION_DATA_KEY);
  const development = env.CARD_PRODUCTION_DEVELOPMENT_PKI;
  if (development !== undefined && development !== '' && development !== 'true' && development !== 'false') {
    throw new ConfigError('CARD_PRODUCTION_DEVELOPMENT_PKI must be true or false');
  }
  const leaseSeconds = integer(env, 'CARD_PRODUCTION_LEASE_SECONDS', 60, 5);
  return {
    databaseUrl,
    dataDir,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.CARD_PRODUCTION_REDIS_PREFIX || 'card-production:',
    kafkaBrokers,
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaSecurity: kafkaBrokers ? kafkaSecurity(env) : {},
    grpcHost: listener.host,
    grpcPort: listener.port,
    auth,
    tls: listener.tls,
    healthListener: listener.healthListener,
    enrollmentAddress: env.CARD_PRODUCTION_ENROLLMENT_ADDRESS || '127.0.0.1:50052',
    keyDir,
    // Embedded, a development PKI is the default; against a real database it must be asked for.
    developmentPki: development ? development === 'true' : !databaseUrl,
    documentSignerDays: integer(env, 'CARD_PRODUCTION_DOCUMENT_SIGNER_DAYS', 90, 1),
    dataKey: key,
    maxAttempts: integer(env, 'CARD_PRODUCTION_MAX_ATTEMPTS', 3, 1),
    leaseMs: leaseSeconds * 1000,
    heartbeatMs: Math.max(1000, Math.floor((leaseSeconds * 1000) / 4)),
    retryBackoffMs: integer(env, 'CARD_PRODUCTION_RETRY_BACKOFF_MS', 10_000),
    maxRetryBackoffMs: 10 * 60_000,
    sweepMs: 1_000,
    pollMs: 30_000,
    personalisationConcurrency: integer(env, 'CARD_PRODUCTION_PERSONALISATION_CONCURRENCY', 4, 1),
    revocationListValidityMs: 60 * 60_000,
    unfinishedWorkAfterSeconds: integer(
      env,
      'UNFINISHED_WORK_AFTER_SECONDS',
      DEFAULT_UNFINISHED_WORK_AFTER_SECONDS,
    ),
  };
}
