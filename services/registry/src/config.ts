import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';

/** How the registry is configured: from the environment in server mode, by the launcher when embedded. */
export interface RegistryConfig {
  /** PostgreSQL server; without it the registry runs on PGlite in `dataDir` (or in memory). */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
  /** Redis for the GetCitizen cache; without it an in-process cache. */
  readonly redisUrl: string | undefined;
  /** Kafka bootstrap servers; without them the in-process transport on the registry's database. */
  readonly kafkaBrokers: readonly string[] | undefined;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** Verifies callers' bearer tokens (audience `registry`); at least 32 bytes. */
  readonly authSecret: string;
  /** Days without verification after which a record is reported stale. */
  readonly staleAfterDays: number;
  /** Idempotent producer: on for a real Kafka cluster, off for the test broker, which cannot. */
  readonly kafkaIdempotent: boolean;
  /** TLS and SASL towards Kafka (`KAFKA_TLS_CA_FILE`, `KAFKA_SASL_*`); empty for the test broker. */
  readonly kafkaSecurity: KafkaSecurity;
}

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw new ConfigError(error.message);
    throw error;
  }
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new ConfigError(`${name} must be a non-negative integer, not "${raw}"`);
  return value;
}

/**
 * The embedded default's token key: made once and kept beside the data (readable by this user only),
 * so tools on this machine can sign tokens and a restart keeps accepting them.
 */
function embeddedSecret(dataDir: string): string {
  const file = join(dirname(dataDir), 'auth-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('hex');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** Where the registry keeps its data: all that applying migrations needs. */
export type StorageConfig = Pick<RegistryConfig, 'databaseUrl' | 'dataDir' | 'kafkaBrokers'>;

function brokersFrom(env: NodeJS.ProcessEnv): readonly string[] | undefined {
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return brokers && brokers.length > 0 ? brokers : undefined;
}

/** The storage part of the configuration, without the token key the migration job has no use for. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const dataDir = databaseUrl ? undefined : env.DATA_DIR || join('.data', 'registry');
  return { databaseUrl, dataDir, kafkaBrokers: brokersFrom(env) };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const { databaseUrl, dataDir, kafkaBrokers } = storageConfigFromEnv(env);
  const authSecret = env.CANCUOC_AUTH_SECRET || (dataDir ? embeddedSecret(dataDir) : undefined);
  if (!authSecret)
    throw new ConfigError('CANCUOC_AUTH_SECRET is required against a real database (32+ bytes)');
  if (Buffer.byteLength(authSecret) < 32)
    throw new ConfigError('CANCUOC_AUTH_SECRET must be at least 32 bytes');
  return {
    databaseUrl,
    dataDir,
    redisUrl: env.REDIS_URL || undefined,
    kafkaBrokers,
    grpcHost: env.REGISTRY_GRPC_HOST || '0.0.0.0',
    grpcPort: integer(env, 'REGISTRY_GRPC_PORT', 50051),
    authSecret,
    staleAfterDays: integer(env, 'REGISTRY_STALE_AFTER_DAYS', 5 * 365),
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaSecurity: kafkaBrokers ? kafkaSecurity(env) : {},
  };
}
