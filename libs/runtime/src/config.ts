import { dirname, join } from 'node:path';
import { AuthConfigError, authConfigFromEnv, type AuthConfig } from '@cancuoc/auth';
import { grpcListenerFromEnv, TlsConfigError, type GrpcListenerConfig, type TlsFiles } from '@cancuoc/grpc';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';

/**
 * A refused configuration. Its message names the variable (or file) and never a secret, so the
 * executable shows it as it is (`runServiceMain`).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** An auth, TLS or Kafka security settings refusal as a {@link ConfigError}; any other error as it is. */
export function configErrorOf(error: unknown): unknown {
  return error instanceof AuthConfigError ||
    error instanceof TlsConfigError ||
    error instanceof KafkaSecurityError
    ? new ConfigError(error.message)
    : error;
}

/** Runs `read`, its settings refusals turned into {@link ConfigError}s. */
export function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw configErrorOf(error);
  }
}

/**
 * Typed readers of a service's own variables. An unset or empty variable takes the fallback; a
 * value that does not fit is refused with a {@link ConfigError} that names the variable.
 *
 * Hand-made rather than a schema library: every variable here is a string, an integer in a range
 * or a list, and the shared readers (auth, TLS, Kafka security) live in their own libs already.
 */
export interface Variables {
  /** An integer from `min` (default 0) to `max` (default none). */
  integer(name: string, fallback: number, range?: { readonly min?: number; readonly max?: number }): number;
  /** A string; the fallback when unset or empty. */
  text(name: string, fallback: string): string;
  text(name: string): string | undefined;
  /** A comma-separated list, blanks dropped; undefined when it names nothing. */
  list(name: string): readonly string[] | undefined;
}

export function variables(env: NodeJS.ProcessEnv): Variables {
  const raw = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    integer(name, fallback, { min = 0, max } = {}) {
      const text = raw(name);
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
        const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
        throw new ConfigError(`${name} must be an integer ${range}, not "${text}"`);
      }
      return value;
    },
    text: ((name: string, fallback?: string) => raw(name) ?? fallback) as Variables['text'],
    list(name) {
      const items = raw(name)
        ?.split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      return items && items.length > 0 ? items : undefined;
    },
  };
}

/** Where a service keeps its data: all that applying migrations needs. */
export interface StorageConfig {
  /** PostgreSQL server (`DATABASE_URL`); without it PGlite in `dataDir` (or in memory). */
  readonly databaseUrl: string | undefined;
  /** `DATA_DIR`, default `.data/<service>`; unset with a database server. */
  readonly dataDir: string | undefined;
  /** Kafka bootstrap servers (`KAFKA_BROKERS`); without them the in-process transport. */
  readonly kafkaBrokers: readonly string[] | undefined;
}

/** What every service is configured with; each service's configuration extends it with its own. */
export interface ServiceBaseConfig extends StorageConfig {
  /** `REDIS_URL`; without it each use of Redis falls back to process memory. */
  readonly redisUrl: string | undefined;
  /** Idempotent producer (`KAFKA_IDEMPOTENT`): on for a real Kafka cluster, off for the test broker. */
  readonly kafkaIdempotent: boolean;
  /** TLS and SASL towards Kafka (`KAFKA_TLS_CA_FILE`, `KAFKA_SASL_*`); empty for the test broker. */
  readonly kafkaSecurity?: KafkaSecurity;
  /** Longest wait of a fetch that finds nothing; the transport's default (500 ms) without it. */
  readonly kafkaMaxWaitMs?: number;
  /** `<PREFIX>_GRPC_HOST`: `0.0.0.0` with mutual TLS, `127.0.0.1` without (plaintext on loopback only). */
  readonly grpcHost: string;
  readonly grpcPort: number;
  /**
   * Who may call and how the service gets its own tokens (libs/auth): the OpenID provider in server
   * mode; embedded, the development issuer in the data directory's parent, shared by the platform.
   */
  readonly auth: AuthConfig;
  /** The mutual-TLS identity (`CANCUOC_TLS_*`), required in server mode; plaintext without it. */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes, beside a server on mutual TLS. */
  readonly healthListener?: GrpcListenerConfig['healthListener'];
}

/** How a service's variables are named and what it defaults to. */
export interface ServiceConfigSpec {
  /** `registry`, `data-sharing`, …: the default data folder `.data/<name>` and the token audience. */
  readonly name: string;
  /** `REGISTRY` for `REGISTRY_GRPC_HOST` / `REGISTRY_GRPC_PORT`. */
  readonly variablePrefix: string;
  readonly defaultPort: number;
}

/** The storage part of the configuration, without the credentials the migration job has no use for. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv, service: string): StorageConfig {
  const vars = variables(env);
  const databaseUrl = vars.text('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  return {
    databaseUrl,
    dataDir: databaseUrl ? undefined : vars.text('DATA_DIR', join('.data', service)),
    kafkaBrokers: vars.list('KAFKA_BROKERS'),
  };
}

/** The base configuration every service reads the same way; server mode is `DATABASE_URL` set. */
export function baseConfigFromEnv(env: NodeJS.ProcessEnv, spec: ServiceConfigSpec): ServiceBaseConfig {
  const storage = storageConfigFromEnv(env, spec.name);
  const server = storage.databaseUrl !== undefined;
  const { auth, listener, kafkaSecurity } = asConfigError(() => ({
    auth: authConfigFromEnv(env, spec.name, {
      server,
      // The embedded platform's services share one development issuer: `.data/issuer.json`.
      embeddedDataDir: dirname(storage.dataDir ?? join('.data', spec.name)),
    }),
    listener: grpcListenerFromEnv(env, {
      variablePrefix: spec.variablePrefix,
      defaultPort: spec.defaultPort,
      server,
    }),
    kafkaSecurity: storage.kafkaBrokers ? kafkaSecurityFromEnv(env) : {},
  }));
  return {
    ...storage,
    redisUrl: variables(env).text('REDIS_URL'),
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaSecurity,
    grpcHost: listener.host,
    grpcPort: listener.port,
    auth,
    tls: listener.tls,
    healthListener: listener.healthListener,
  };
}

/**
 * A service's configuration readers: the base above extended with what `own` reads from the
 * service's own variables. `storageConfigFromEnv` is what `main.js migrate` reads.
 */
export function serviceConfig<Own extends object>(
  spec: ServiceConfigSpec,
  own: (vars: Variables, env: NodeJS.ProcessEnv) => Own,
): {
  storageConfigFromEnv(env?: NodeJS.ProcessEnv): StorageConfig;
  configFromEnv(env?: NodeJS.ProcessEnv): ServiceBaseConfig & Own;
} {
  return {
    storageConfigFromEnv: (env = process.env) => storageConfigFromEnv(env, spec.name),
    configFromEnv: (env = process.env) => ({ ...baseConfigFromEnv(env, spec), ...own(variables(env), env) }),
  };
}
