/**
 * The registry's configuration from the environment: who may call it (the OpenID provider, or the
 * embedded development issuer) and how (mutual TLS, or plaintext on loopback only).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { developmentIssuerFile } from '@cancuoc/auth';
import { ConfigError, configFromEnv, familyRulesFromEnv } from './config.js';

const DATABASE_URL = 'postgres://registry@db.example.vn/registry';
const OIDC = {
  CANCUOC_OIDC_ISSUER: 'https://login.example.vn',
  CANCUOC_CLIENT_KEY_FILE: '/run/secrets/client.key',
};
const TLS = {
  CANCUOC_TLS_CERT_FILE: '/run/tls/tls.crt',
  CANCUOC_TLS_KEY_FILE: '/run/tls/tls.key',
  CANCUOC_TLS_CA_FILE: '/run/tls/ca.crt',
};

function refused(env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(
    () => configFromEnv(env),
    (error) => error instanceof ConfigError && message.test(error.message),
  );
}

describe('registry configuration', () => {
  it('takes the OpenID provider, its own client key and mutual TLS in server mode', () => {
    const config = configFromEnv({ DATABASE_URL, ...OIDC, ...TLS });
    assert.deepEqual(config.auth, {
      mode: 'server',
      issuer: 'https://login.example.vn',
      clientId: 'service:registry',
      clientKeyFile: '/run/secrets/client.key',
    });
    assert.deepEqual(config.tls, {
      certFile: '/run/tls/tls.crt',
      keyFile: '/run/tls/tls.key',
      caFile: '/run/tls/ca.crt',
    });
    assert.equal(config.grpcHost, '0.0.0.0');
    assert.equal(
      configFromEnv({ DATABASE_URL, ...OIDC, ...TLS, CANCUOC_CLIENT_ID: 'registry-prod' }).auth.mode,
      'server',
    );
  });

  it('refuses a server without an OpenID provider, client key or certificates, and the old shared secret', () => {
    refused({ DATABASE_URL, ...TLS }, /CANCUOC_OIDC_ISSUER is required with DATABASE_URL/);
    refused(
      { DATABASE_URL, ...OIDC, ...TLS, CANCUOC_AUTH_SECRET: 'x'.repeat(40) },
      /CANCUOC_AUTH_SECRET is no longer used/,
    );
    refused(
      { DATABASE_URL, CANCUOC_OIDC_ISSUER: OIDC.CANCUOC_OIDC_ISSUER, ...TLS },
      /CANCUOC_CLIENT_KEY_FILE is required/,
    );
    refused(
      { DATABASE_URL, ...OIDC, ...TLS, CANCUOC_OIDC_ISSUER: 'login.example.vn' },
      /must be an http\(s\) URL/,
    );
    refused({ DATABASE_URL, ...OIDC }, /server mode needs mutual TLS/);
    refused(
      { DATABASE_URL, ...OIDC, CANCUOC_TLS_CERT_FILE: TLS.CANCUOC_TLS_CERT_FILE },
      /CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE go together/,
    );
  });

  it('embedded: the development issuer beside the data, plaintext on loopback only', () => {
    const config = configFromEnv({ DATA_DIR: join('/srv/cancuoc', 'registry') });
    assert.deepEqual(config.auth, { mode: 'embedded', issuerFile: developmentIssuerFile('/srv/cancuoc') });
    assert.equal(config.tls, undefined);
    assert.equal(config.grpcHost, '127.0.0.1');
    assert.deepEqual(configFromEnv({}).auth, {
      mode: 'embedded',
      issuerFile: developmentIssuerFile('.data'),
    });
    refused(
      { DATA_DIR: '/srv/cancuoc/registry', REGISTRY_GRPC_HOST: '0.0.0.0' },
      /plaintext gRPC is only for .* loopback/,
    );
    refused({ CANCUOC_AUTH_SECRET: 'x'.repeat(40) }, /CANCUOC_AUTH_SECRET is no longer used/);
    // With certificates the embedded registry may listen beyond loopback.
    assert.equal(configFromEnv({ ...TLS }).grpcHost, '0.0.0.0');
  });
});

describe('family rules configuration', () => {
  it('takes the law’s marriage ages and a parent age of 12 by default, and each from its variable', () => {
    assert.deepEqual(familyRulesFromEnv({}), {
      minParentAgeYears: 12,
      marriageAge: { male: 20, female: 18 },
    });
    assert.deepEqual(
      familyRulesFromEnv({
        REGISTRY_MIN_PARENT_AGE_YEARS: '14',
        REGISTRY_MARRIAGE_AGE_MEN: '20',
        REGISTRY_MARRIAGE_AGE_WOMEN: '20',
      }),
      { minParentAgeYears: 14, marriageAge: { male: 20, female: 20 } },
    );
    assert.deepEqual(
      configFromEnv({ REGISTRY_MIN_PARENT_AGE_YEARS: '13' }).familyRules?.minParentAgeYears,
      13,
    );
  });

  it('refuses an age that is no age, naming the variable', () => {
    for (const value of ['0', '-1', 'twelve', '101', '1.5']) {
      assert.throws(
        () => familyRulesFromEnv({ REGISTRY_MARRIAGE_AGE_WOMEN: value }),
        (error) => error instanceof ConfigError && error.message.includes('REGISTRY_MARRIAGE_AGE_WOMEN'),
        value,
      );
    }
  });
});
