import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaSecurityError, kafkaSecurityFromEnv } from './kafka-security.js';

const dir = mkdtempSync(join(tmpdir(), 'cancuoc-kafka-security-'));
const caFile = join(dir, 'ca.crt');
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(caFile, CA);
const notCa = join(dir, 'not-a-ca.txt');
writeFileSync(notCa, 'hello\n');

describe('kafkaSecurityFromEnv', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('asks for nothing when nothing is set (the test broker)', () => {
    assert.deepEqual(kafkaSecurityFromEnv({}), {});
  });

  it('reads SCRAM-SHA-512 over TLS with the cluster CA, as the Kubernetes manifests set it', () => {
    const security = kafkaSecurityFromEnv({
      KAFKA_TLS_CA_FILE: caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'registry',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    assert.deepEqual(security, {
      ssl: { ca: [CA], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'registry', password: 'pw' },
    });
  });

  it('uses the system CAs with KAFKA_TLS=true', () => {
    assert.deepEqual(kafkaSecurityFromEnv({ KAFKA_TLS: 'true' }), { ssl: true });
  });

  const refusals: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'SASL without TLS',
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      /needs TLS/,
    ],
    ['an unknown mechanism', { KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'gssapi' }, /must be one of/],
    [
      'a missing password',
      { KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' },
      /PASSWORD is required/,
    ],
    [
      'a missing user name',
      { KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p' },
      /USERNAME is required/,
    ],
    ['an unreadable CA file', { KAFKA_TLS_CA_FILE: join(dir, 'absent.crt') }, /cannot be read/],
    ['a CA file without a certificate', { KAFKA_TLS_CA_FILE: notCa }, /no PEM certificate/],
    ['a KAFKA_TLS that is not a boolean', { KAFKA_TLS: 'yes' }, /true or false/],
  ];
  for (const [what, env, message] of refusals) {
    it(`refuses ${what}, naming the variable`, () => {
      assert.throws(
        () => kafkaSecurityFromEnv(env),
        (e: unknown) => e instanceof KafkaSecurityError && message.test(e.message),
      );
    });
  }

  it('never echoes the password in an error', () => {
    try {
      kafkaSecurityFromEnv({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 's3cret-value',
      });
      assert.fail('expected a refusal');
    } catch (error) {
      assert.doesNotMatch((error as Error).message, /s3cret-value/);
    }
  });
});
