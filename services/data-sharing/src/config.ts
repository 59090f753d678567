import { ConfigError, serviceConfig, type ServiceBaseConfig, type StorageConfig } from '@cancuoc/runtime';

export { ConfigError, type StorageConfig };

/**
 * How data sharing is configured: the chassis' base (database, Redis, Kafka, gRPC listener and TLS
 * as `DATA_SHARING_GRPC_*`, auth with audience `data-sharing`) and data sharing's own variables.
 */
export interface DataSharingConfig extends ServiceBaseConfig {
  /** Prefix of every Redis key data sharing writes (rate limits, idempotency keys), to share a Redis. */
  readonly redisKeyPrefix: string;
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

const readers = serviceConfig(
  { name: 'data-sharing', variablePrefix: 'DATA_SHARING', defaultPort: 50054 },
  (vars) => ({
    redisKeyPrefix: vars.text('DATA_SHARING_REDIS_KEY_PREFIX', 'data-sharing:'),
    // A real broker answers a fetch as soon as records arrive; the test broker only when this wait
    // is over, so there it sets the inbound consumer's latency.
    kafkaMaxWaitMs: vars.integer('KAFKA_MAX_WAIT_MS', 500, { min: 1 }),
    readsPerMinute: vars.integer('DATA_SHARING_READS_PER_MINUTE', 6_000, { min: 1 }),
    verificationsPerMinute: vars.integer('DATA_SHARING_VERIFICATIONS_PER_MINUTE', 600, { min: 1 }),
    verificationsPerCitizenPerDay: vars.integer('DATA_SHARING_VERIFICATIONS_PER_CITIZEN_PER_DAY', 10, {
      min: 1,
    }),
    backfillBatchSize: vars.integer('DATA_SHARING_BACKFILL_BATCH_SIZE', 1_000, { min: 1 }),
    deliveryBatchSize: vars.integer('DATA_SHARING_DELIVERY_BATCH_SIZE', 1_000, { min: 1 }),
  }),
);

/** The storage part of the configuration, without the credentials the migration job has no use for. */
export const storageConfigFromEnv: (env?: NodeJS.ProcessEnv) => StorageConfig = readers.storageConfigFromEnv;
export const configFromEnv: (env?: NodeJS.ProcessEnv) => DataSharingConfig = readers.configFromEnv;
