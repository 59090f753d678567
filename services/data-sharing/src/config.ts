import { dirname, join } from 'node:path';
import { AuthConfigError, authConfigFromEnv, type AuthConfig } from '@cancuoc/auth';
import { grpcListenerFromEnv, TlsConfigError, type GrpcListenerConfig, type TlsFiles } from '@cancuoc/grpc';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';

/** How data sharing is configured: from the environment in server mode, by the launcher when embedded. */
export interface DataSharingConfig {
  /** PostgreSQL server; without it PGlite in `dataDir` (or in memory). */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
  /** Redis for rate limits and idempotency keys; without it, in process memory. */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key data sharing writes, so that it can share a Redis. */
  readonly redisKeyPrefix: string;
  /** Kafka bootstrap servers; without them the in-process transport on data sharing's database. */
  readonly kafkaBrokers: readonly string[] | undefined;
  /** Idempotent producer: on for a real Kafka cluster, off for the test broker, which cannot. */
  readonly kafkaIdempotent: boolean;
  /**
   * Longest wait of a fetch that finds nothing. A real broker answers as soon as records arrive; the
   * test broker only when the wait is over, so there it sets the consumer's latency.
   */
  readonly kafkaMaxWaitMs?: number;
  /** TLS and SASL towards Kafka (`KAFKA_TLS_CA_FILE`, `KAFKA_SASL_*`); empty for the test broker. */
  readonly kafkaSecurity?: KafkaSecurity;
  /** Default `0.0.0.0` with mutual TLS, `127.0.0.1` without (plaintext only on loopback). */
  readonly grpcHost: string;
  readonly grpcPort: number;
  /**
   * Where callers' tokens come from (audience `data-sharing`) and how data sharing gets its own:
   * the OpenID provider in server mode, the embedded platform's development issuer otherwise.
   */
  readonly auth: AuthConfig;
  /**
   * Data sharing's mutual-TLS identity (`CANCUOC_TLS_*`); required with `DATABASE_URL`. Without it
   * the server listens in plaintext, which only the embedded platform on loopback may.
   */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes, beside a server on mutual TLS. */
  readonly healthListener?: GrpcListenerConfig['healthListener'];
  /** Citizens an agency may read per minute (GetCitizen, each key of BatchGetCitizens). */
  readonly readsPerMinute: number;
  readonly verificationsPerMinute: number;
  /** Verifications of one personal id number by one agency per day. */
  readonly verificationsPerCitizenPerDay: number;
  /** Citizens per back-fill transaction. */
  readonly backfillBatchSize: number;
  /** Citizens per delivery batch (two records each), per agency. */
  readonly deliveryBatchSize?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return value;
}

/** Where data sharing keeps its data: all that applying migrations needs. */
export type StorageConfig = Pick<DataSharingConfig, 'databaseUrl' | 'dataDir' | 'kafkaBrokers'>;

/** The storage part of the configuration, without the credentials the migration job has no use for. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return {
    databaseUrl,
    dataDir: databaseUrl ? undefined : env.DATA_DIR || join('.data', 'data-sharing'),
    kafkaBrokers: brokers && brokers.length > 0 ? brokers : undefined,
  };
}

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * Tokens from the OpenID provider in server mode; embedded, from the development issuer whose keys
 * the platform keeps in its folder (`<DATA_DIR>/../issuer.json`, beside every service's data).
 */
function authConfig(env: NodeJS.ProcessEnv, server: boolean, dataDir: string | undefined): AuthConfig {
  try {
    return authConfigFromEnv(env, 'data-sharing', {
      server,
      embeddedDataDir: dirname(dataDir ?? join('.data', 'data-sharing')),
    });
  } catch (error) {
    if (error instanceof AuthConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Where the server listens and with which certificates; plaintext is refused here, before anything opens. */
function listenerFrom(env: NodeJS.ProcessEnv, server: boolean): GrpcListenerConfig {
  try {
    return grpcListenerFromEnv(env, { variablePrefix: 'DATA_SHARING', defaultPort: 50054, server });
  } catch (error) {
    if (error instanceof TlsConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DataSharingConfig {
  const { databaseUrl, dataDir, kafkaBrokers } = storageConfigFromEnv(env);
  const server = databaseUrl !== undefined;
  const auth = authConfig(env, server, dataDir);
  const listener = listenerFrom(env, server);
  return {
    databaseUrl,
    dataDir,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.DATA_SHARING_REDIS_KEY_PREFIX || 'data-sharing:',
    kafkaBrokers,
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaMaxWaitMs: integer(env, 'KAFKA_MAX_WAIT_MS', 500, 1),
    kafkaSecurity: kafkaBrokers ? kafkaSecurity(env) : {},
    grpcHost: listener.host,
    grpcPort: listener.port,
    auth,
    tls: listener.tls,
    healthListener: listener.healthListener,
    readsPerMinute: integer(env, 'DATA_SHARING_READS_PER_MINUTE', 6_000, 1),
    verificationsPerMinute: integer(env, 'DATA_SHARING_VERIFICATIONS_PER_MINUTE', 600, 1),
    verificationsPerCitizenPerDay: integer(env, 'DATA_SHARING_VERIFICATIONS_PER_CITIZEN_PER_DAY', 10, 1),
    backfillBatchSize: integer(env, 'DATA_SHARING_BACKFILL_BATCH_SIZE', 1_000, 1),
    deliveryBatchSize: integer(env, 'DATA_SHARING_DELIVERY_BATCH_SIZE', 1_000, 1),
  };
}
