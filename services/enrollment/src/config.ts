import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AuthConfigError, authConfigFromEnv, type AuthConfig } from '@cancuoc/auth';
import { grpcListenerFromEnv, TlsConfigError, type GrpcListenerConfig, type TlsFiles } from '@cancuoc/grpc';
import { KafkaSecurityError, kafkaSecurityFromEnv, type KafkaSecurity } from '@cancuoc/messaging';
import { DEFAULT_UNFINISHED_WORK_AFTER_SECONDS } from '@cancuoc/operations';

/** How enrollment is configured: from the environment in server mode, by the launcher when embedded. */
export interface EnrollmentConfig {
  /** PostgreSQL server; without it enrollment runs on PGlite in `dataDir` (or in memory). */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
  /** Redis for the per-station rate limits; without it, in this process. */
  readonly redisUrl: string | undefined;
  /** Kafka bootstrap servers; without them the in-process transport on enrollment's database. */
  readonly kafkaBrokers: readonly string[] | undefined;
  readonly kafkaIdempotent: boolean;
  /** TLS and SASL towards Kafka (`KAFKA_TLS_CA_FILE`, `KAFKA_SASL_*`); empty for the test broker. */
  readonly kafkaSecurity: KafkaSecurity;
  readonly grpcHost: string;
  readonly grpcPort: number;
  /**
   * Where callers' tokens (audience `enrollment`) come from and how enrollment gets its own for the
   * registry: the OpenID provider in server mode, the embedded development issuer otherwise.
   */
  readonly auth: AuthConfig;
  /**
   * Enrollment's mutual-TLS identity (`CANCUOC_TLS_*`): for its server and for its calls to the
   * registry. Required in server mode; without it, plaintext on loopback (embedded platform, tests).
   */
  readonly tls: TlsFiles | undefined;
  /** The plaintext health-only listener for probes, beside a server on mutual TLS. */
  readonly healthListener?: GrpcListenerConfig['healthListener'];
  /** gRPC target of the registry. */
  readonly registryAddress: string;
  /** 32-byte master keys of the local key provider; the first wraps new data keys. */
  readonly masterKeys: readonly Uint8Array[];
  readonly maxFaceBytes: number;
  readonly maxFingerprintBytes: number;
  readonly startsPerMinute: number;
  /** First pause before retrying a failed pipeline step; it doubles up to `retryMaxMs`. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Longest wait of the re-processor when neither a submission nor a due step wakes it. */
  readonly reprocessIntervalMs: number;
  /** A step waiting this long counts as stuck even before it failed. */
  readonly stuckAfterMs: number;
  /**
   * ListUnfinishedWork's threshold when the request sets none (`UNFINISHED_WORK_AFTER_SECONDS`,
   * default ten minutes): work unchanged for longer is listed.
   */
  readonly unfinishedWorkAfterSeconds?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The auth and TLS settings' refusals as {@link ConfigError}s: they name variables, never a secret. */
export function asConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof AuthConfigError || error instanceof TlsConfigError)
      throw new ConfigError(error.message);
    throw error;
  }
}

function kafkaSecurity(env: NodeJS.ProcessEnv): KafkaSecurity {
  try {
    return kafkaSecurityFromEnv(env);
  } catch (error) {
    if (error instanceof KafkaSecurityError) throw new ConfigError(error.message);
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

/** A key made once and kept beside the data (readable by this user only), so a restart keeps it. */
function embeddedSecret(file: string, make: () => string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = make();
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another service of the same launcher made it first.
      return readFileSync(file, 'utf8').trim();
    }
  }
}

function masterKey(text: string, name: string): Uint8Array {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError(`${name} holds keys of 32 bytes, as 64 hex digits or base64`);
  return key;
}

/** Where enrollment keeps its data: all that applying migrations needs. */
export type StorageConfig = Pick<EnrollmentConfig, 'databaseUrl' | 'dataDir' | 'kafkaBrokers'>;

function brokersFrom(env: NodeJS.ProcessEnv): readonly string[] | undefined {
  const brokers = env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return brokers && brokers.length > 0 ? brokers : undefined;
}

/** The storage part of the configuration, without the keys the migration job has no use for. */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const dataDir = databaseUrl ? undefined : env.DATA_DIR || join('.data', 'enrollment');
  return { databaseUrl, dataDir, kafkaBrokers: brokersFrom(env) };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): EnrollmentConfig {
  const { databaseUrl, dataDir, kafkaBrokers } = storageConfigFromEnv(env);
  const server = databaseUrl !== undefined;
  const { auth, listener } = asConfigError(() => ({
    // Embedded, the platform's services share one development issuer: `.data/issuer.json`.
    auth: authConfigFromEnv(env, 'enrollment', {
      server,
      embeddedDataDir: dirname(dataDir ?? join('.data', 'enrollment')),
    }),
    listener: grpcListenerFromEnv(env, { variablePrefix: 'ENROLLMENT', defaultPort: 50052, server }),
  }));
  const keysText =
    env.ENROLLMENT_MASTER_KEYS ||
    (dataDir
      ? embeddedSecret(join(dirname(dataDir), 'enrollment-master-key'), () => randomBytes(32).toString('hex'))
      : undefined);
  if (!keysText) {
    throw new ConfigError(
      'ENROLLMENT_MASTER_KEYS is required against a real database (or a KMS key provider)',
    );
  }
  return {
    databaseUrl,
    dataDir,
    redisUrl: env.REDIS_URL || undefined,
    kafkaBrokers,
    kafkaIdempotent: env.KAFKA_IDEMPOTENT !== 'false',
    kafkaSecurity: kafkaBrokers ? kafkaSecurity(env) : {},
    grpcHost: listener.host,
    grpcPort: listener.port,
    auth,
    tls: listener.tls,
    healthListener: listener.healthListener,
    registryAddress: env.ENROLLMENT_REGISTRY_ADDRESS || '127.0.0.1:50051',
    masterKeys: keysText.split(',').map((k) => masterKey(k.trim(), 'ENROLLMENT_MASTER_KEYS')),
    maxFaceBytes: integer(env, 'ENROLLMENT_MAX_FACE_BYTES', 5 * 1024 * 1024, 1),
    maxFingerprintBytes: integer(env, 'ENROLLMENT_MAX_FINGERPRINT_BYTES', 8 * 1024 * 1024, 1),
    startsPerMinute: integer(env, 'ENROLLMENT_STARTS_PER_MINUTE', 30, 1),
    retryInitialMs: integer(env, 'ENROLLMENT_RETRY_INITIAL_MS', 2_000, 1),
    retryMaxMs: integer(env, 'ENROLLMENT_RETRY_MAX_MS', 300_000, 1),
    reprocessIntervalMs: integer(env, 'ENROLLMENT_REPROCESS_INTERVAL_MS', 30_000, 10),
    stuckAfterMs: integer(env, 'ENROLLMENT_STUCK_AFTER_MS', 300_000, 0),
    unfinishedWorkAfterSeconds: integer(
      env,
      'UNFINISHED_WORK_AFTER_SECONDS',
      DEFAULT_UNFINISHED_WORK_AFTER_SECONDS,
    ),
  };
}
