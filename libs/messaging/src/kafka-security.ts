import { readFileSync } from 'node:fs';
import type { KafkaTransportOptions } from './kafka-transport.js';

/**
 * How a service authenticates to a real Kafka cluster, from the environment the Kubernetes
 * manifests set (deploy/): SASL/SCRAM over TLS, trusting the cluster's CA.
 *
 * | Variable | Meaning |
 * |---|---|
 * | `KAFKA_TLS_CA_FILE` | PEM file of the cluster CA; turns TLS on |
 * | `KAFKA_TLS` | `true` for TLS with the system's CAs (when there is no CA file) |
 * | `KAFKA_SASL_MECHANISM` | `scram-sha-512`, `scram-sha-256` or `plain`; needs TLS |
 * | `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD` | the KafkaUser and its password |
 *
 * None set: neither TLS nor SASL, as for the test broker.
 */
export type KafkaSecurity = Pick<KafkaTransportOptions, 'ssl' | 'sasl'>;

export class KafkaSecurityError extends Error {
  override readonly name = 'KafkaSecurityError';
}

const MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
type Mechanism = (typeof MECHANISMS)[number];

export function kafkaSecurityFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const caFile = env.KAFKA_TLS_CA_FILE || undefined;
  if (env.KAFKA_TLS && env.KAFKA_TLS !== 'true' && env.KAFKA_TLS !== 'false') {
    throw new KafkaSecurityError(`KAFKA_TLS must be true or false, not "${env.KAFKA_TLS}"`);
  }
  let ssl: KafkaSecurity['ssl'];
  if (caFile) {
    let ca: string;
    try {
      ca = readFile(caFile);
    } catch (error) {
      throw new KafkaSecurityError(`KAFKA_TLS_CA_FILE ${caFile} cannot be read: ${(error as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KafkaSecurityError(`KAFKA_TLS_CA_FILE ${caFile} holds no PEM certificate`);
    }
    ssl = { ca: [ca], rejectUnauthorized: true };
  } else if (env.KAFKA_TLS === 'true') {
    ssl = true;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM || undefined;
  if (!mechanism) return ssl ? { ssl } : {};
  if (!MECHANISMS.includes(mechanism as Mechanism)) {
    throw new KafkaSecurityError(
      `KAFKA_SASL_MECHANISM must be one of ${MECHANISMS.join(', ')}, not "${mechanism}"`,
    );
  }
  // A password over plain TCP is a password given away.
  if (!ssl)
    throw new KafkaSecurityError('KAFKA_SASL_MECHANISM needs TLS: set KAFKA_TLS_CA_FILE or KAFKA_TLS=true');
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  if (!username) throw new KafkaSecurityError('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
  if (!password) throw new KafkaSecurityError('KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM');
  return { ssl, sasl: { mechanism: mechanism as Mechanism, username, password } as KafkaSecurity['sasl'] };
}
