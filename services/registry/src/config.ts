import { dirname, join } from 'node:path';
import { AuthConfigError, authConfigFromEnv, type AuthConfig } from '@cancuoc/auth';
import { grpcListenerFromEnv, TlsConfigError, type GrpcListenerConfig, type TlsFiles } from '@cancuoc/grpc';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';
import { DEFAULT_FAMILY_RULES, type FamilyRules } from './domain/citizen/family-rules.js';

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
  /**
   * Who may call (libs/auth): in server mode the OpenID provider whose tokens are accepted
   * (audience `registry`) and this service's own client key; embedded, the development issuer in
   * the data directory's parent, shared by the platform's services.
   */
  readonly auth: AuthConfig;
  /**
   * The mutual-TLS certificate, key and platform CA (`CANCUOC_TLS_*`); required in server mode.
   * Without them the registry serves plaintext, and only on loopback (the embedded platform).
   */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes, beside a server on mutual TLS. */
  readonly healthListener?: GrpcListenerConfig['healthListener'];
  /** Days without verification after which a record is reported stale. */
  readonly staleAfterDays: number;
  /**
   * The ages the family rules turn on (`REGISTRY_MIN_PARENT_AGE_YEARS`,
   * `REGISTRY_MARRIAGE_AGE_MEN`, `REGISTRY_MARRIAGE_AGE_WOMEN`); the defaults (12; 20 and 18, the
   * Law on Marriage and Family's) without them.
   */
  readonly familyRules?: FamilyRules;
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

/** The family rules' ages from the environment; each variable unset keeps its default. */
export function familyRulesFromEnv(env: NodeJS.ProcessEnv = process.env): FamilyRules {
  const age = (name: string, fallback: number) => {
    const value = integer(env, name, fallback);
    if (value < 1 || value > 100)
      throw new ConfigError(`${name} must be an age from 1 to 100, not "${env[name]}"`);
    return value;
  };
  return {
    minParentAgeYears: age('REGISTRY_MIN_PARENT_AGE_YEARS', DEFAULT_FAMILY_RULES.minParentAgeYears),
    marriageAge: {
      male: age('REGISTRY_MARRIAGE_AGE_MEN', DEFAULT_FAMILY_RULES.marriageAge.male),
      female: age('REGISTRY_MARRIAGE_AGE_WOMEN', DEFAULT_FAMILY_RULES.marriageAge.female),
    },
  };
}

/** Where the registry keeps its data: all that applying migrations needs. */
export type StorageConfig = Pick<RegistryConfig, 'databaseUrl' | 'dataDir' | 'kafkaBrokers'>;

function brokersFrom(env: NodeJS.ProcessEnv): readonly string[] | undefined {
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return brokers && brokers.length > 0 ? brokers : undefined;
}

/** The storage part of the configuration, without the credentials the migration job has no use for. */
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
  const server = databaseUrl !== undefined;
  const { auth, listener } = asConfigError(() => ({
    auth: authConfigFromEnv(env, 'registry', {
      server,
      // The embedded platform's services share one development issuer: `.data/issuer.json`.
      embeddedDataDir: dirname(dataDir ?? join('.data', 'registry')),
    }),
    listener: grpcListenerFromEnv(env, { variablePrefix: 'REGISTRY', defaultPort: 50051, server }),
  }));
  return {
    databaseUrl,
    dataDir,
    redisUrl: env.REDIS_URL || undefined,
    kafkaBrokers,
    grpcHost: listener.host,
    grpcPort: listener.port,
    auth,
    tls: listener.tls,
    healthListener: listener.healthListener,
    staleAfterDays: integer(env, 'REGISTRY_STALE_AFTER_DAYS', 5 * 365),
    familyRules: familyRulesFromEnv(env),
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaSecurity: kafkaBrokers ? kafkaSecurity(env) : {},
  };
}

/**
 * An auth or TLS settings refusal as a {@link ConfigError}, which the executable shows as it is (it
 * names variables and files, never a secret); any other error as it is.
 */
export function configErrorOf(error: unknown): unknown {
  return error instanceof AuthConfigError || error instanceof TlsConfigError
    ? new ConfigError(error.message)
    : error;
}

/** Runs `read`, its auth and TLS settings refusals turned into {@link ConfigError}s. */
export function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw configErrorOf(error);
  }
}
