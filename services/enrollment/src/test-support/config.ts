import { randomBytes } from 'node:crypto';
import type { EnrollmentConfig } from '../config.js';

/**
 * A configuration for tests: loopback, port 0 (plaintext: the tokens come from a development
 * issuer, `auth: { mode: 'issuer', issuer }`), a fresh master key, short retry pauses; storage and
 * peers as the test sets them.
 */
export function testConfig(
  settings: Pick<EnrollmentConfig, 'auth' | 'registryAddress'> & Partial<EnrollmentConfig>,
): EnrollmentConfig {
  return {
    databaseUrl: undefined,
    dataDir: undefined,
    redisUrl: undefined,
    kafkaBrokers: undefined,
    kafkaIdempotent: false,
    kafkaSecurity: {},
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    tls: undefined,
    masterKeys: [randomBytes(32)],
    maxFaceBytes: 2 * 1024 * 1024,
    maxFingerprintBytes: 4 * 1024 * 1024,
    startsPerMinute: 1_000,
    retryInitialMs: 200,
    retryMaxMs: 1_000,
    reprocessIntervalMs: 100,
    stuckAfterMs: 60_000,
    ...settings,
  };
}
