import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { SERVICES, type ServiceName } from '@cancuoc/platform';
import { closeClient, createClient, grpcCode, status, type ClientOptions } from '@cancuoc/grpc';
import { operations } from '@cancuoc/proto';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An administrator's token as the removed shared-secret scheme made them — HMAC-SHA256 with a
 * secret — in both of its shapes: the old `claims.mac` pair, and a well-formed JWT with `alg: HS256`
 * and every claim a service checks (`issuer` is the one the services trust).
 */
export function sharedSecretTokens(audience: string, issuer: string): string[] {
  const secret = randomBytes(32);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: 'admin:e2e-intruder',
    aud: audience,
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    kind: 'person',
    roles: ['admin'],
  };
  const old = b64({ sub: claims.sub, aud: audience, exp: claims.exp, roles: ['admin'] });
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return [
    `${old}.${createHmac('sha256', secret).update(old).digest('base64url')}`,
    `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`,
  ];
}

/**
 * Calls OperationsService/ListProjections (every service serves it; administrators may call it)
 * at every service with each token `tokensFor` gives for that service, and asserts each call is
 * refused as UNAUTHENTICATED: the token, not the caller's role, is what fails.
 */
export async function assertRefusedByEveryService(
  addresses: Readonly<Record<ServiceName, string>>,
  tokensFor: (service: ServiceName) => Promise<readonly string[]> | readonly string[],
  what: string,
  options: Pick<ClientOptions, 'credentials'> = {},
): Promise<void> {
  for (const service of SERVICES) {
    const client = createClient(operations.OperationsService, addresses[service], {
      ...options,
      defaultTimeoutMs: 15_000,
    });
    try {
      for (const token of await tokensFor(service)) {
        await assert.rejects(
          client.listProjections({}, { metadata: { authorization: `Bearer ${token}` } }),
          (error: unknown) => {
            assert.equal(
              grpcCode(error),
              status.UNAUTHENTICATED,
              `${service} refuses ${what}: ${String(error)}`,
            );
            return true;
          },
        );
      }
    } finally {
      closeClient(client);
    }
  }
}
