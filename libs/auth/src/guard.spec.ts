import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RpcError, readErrorDetails } from '@cancuoc/grpc';
import { startTestTelemetry, pointsOf, type TestTelemetry } from '@cancuoc/observability/testing';
import { EncodingStationService, EnrollmentService, RegistryService } from '@cancuoc/proto';
import { Metadata, status } from '@grpc/grpc-js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DevelopmentIssuer } from './development-issuer.js';
import { guard, STATION_TOKEN_HEADER, type Authorized } from './guard.js';
import { identities, type Identity } from './identities.js';
import { platformPolicy } from './policy/platform.js';
import { Policy } from './policy/policy.js';
import { Refusals } from './refusals.js';
import { TokenVerifier } from './verifier.js';

const plaintext = { peer: 'ipv4:127.0.0.1:40000', certificate: undefined };
const certificateOf = (subject: string) => ({
  peer: 'ipv4:127.0.0.1:40001',
  certificate: {
    commonName: 'ignored',
    subjectAltNames: ['DNS:localhost', `URI:cancuoc:${subject}`],
    thumbprint: 'x',
  },
});

async function outcome(promise: unknown): Promise<{ code: number; reason: string | undefined } | Authorized> {
  try {
    return (await promise) as Authorized;
  } catch (error) {
    assert.ok(error instanceof RpcError, String(error));
    return { code: error.code, reason: readErrorDetails(error)?.errorInfo?.reason };
  }
}

describe('guard', () => {
  let issuer: DevelopmentIssuer;
  let telemetry: TestTelemetry;
  const lines: { event: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    error: () => undefined,
    warn: (event: string, fields: Readonly<Record<string, unknown>>) =>
      void lines.push({ event, fields: { ...fields } }),
  };
  const authenticateAt = (audience: string, limiter?: RateLimiterMemory) =>
    guard({
      verifier: new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() }),
      policy: platformPolicy,
      refusals: new Refusals({ logger, limiter }),
    });
  const bearer = async (identity: Identity, audience: string) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await issuer.mint({ ...identity, audience })}`);
    return metadata;
  };

  before(async () => {
    telemetry = await startTestTelemetry('auth-guard');
    issuer = await DevelopmentIssuer.inMemory();
  });
  after(() => telemetry.shutdown());

  it('refuses a call without a token, counts and logs it without request data', async () => {
    const result = await outcome(
      authenticateAt('registry')(new Metadata(), RegistryService.method.getCitizen, plaintext),
    );
    assert.deepEqual(result, { code: status.UNAUTHENTICATED, reason: 'MISSING_TOKEN' });
    const line = lines.at(-1)!;
    assert.equal(line.event, 'auth.refused');
    assert.equal(line.fields['reason'], 'MISSING_TOKEN');
    assert.equal(line.fields['rpc.method'], 'cancuoc.registry.v1.RegistryService/GetCitizen');
    const points = pointsOf(await telemetry.collectMetrics(), 'cancuoc.auth.refusals');
    assert.ok(
      points.some(
        (p) =>
          p.attributes['cancuoc.auth.reason'] === 'MISSING_TOKEN' &&
          p.attributes['cancuoc.auth.outcome'] === 'unauthenticated',
      ),
    );
  });

  it('gives the handler the principal and the grant it was allowed under', async () => {
    const principal = (await authenticateAt('registry')(
      await bearer(identities.clerk('c-9', '79'), 'registry'),
      RegistryService.method.searchCitizens,
      plaintext,
    )) as Authorized;
    assert.equal(principal.subject, 'clerk:c-9');
    assert.equal(principal.grant.limit, 'jurisdiction');
    assert.equal(principal.unit, '79');
  });

  it('refuses an RPC the policy has no rule for, whoever calls', async () => {
    const empty = guard({
      verifier: new TokenVerifier({ issuer: issuer.issuer, audience: 'registry', keys: issuer.keys() }),
      policy: new Policy(),
      refusals: new Refusals({ logger }),
    });
    const result = await outcome(
      empty(
        await bearer(identities.clerk('c-1', '79', { national: true }), 'registry'),
        RegistryService.method.getCitizen,
        plaintext,
      ),
    );
    assert.deepEqual(result, { code: status.PERMISSION_DENIED, reason: 'NO_RULE' });
  });

  it('takes the station from a valid enrollment-station token only, for people only', async () => {
    const authenticate = authenticateAt('enrollment');
    const method = EnrollmentService.method.startApplication;
    const operator = await bearer(identities.operator('o-1'), 'enrollment');
    assert.deepEqual(await outcome(authenticate(operator, method, plaintext)), {
      code: status.PERMISSION_DENIED,
      reason: 'NOT_ALLOWED',
    });

    operator.set(
      STATION_TOKEN_HEADER,
      await issuer.mint({ ...identities.enrollmentStation('hn-07'), audience: 'enrollment' }),
    );
    const allowed = (await authenticate(operator, method, plaintext)) as Authorized;
    assert.equal(allowed.station, 'hn-07');
    assert.equal(allowed.grant.limit, 'own-station');

    // An encoding station's token is no enrollment station's; neither is one for another audience.
    for (const station of [
      await issuer.mint({ ...identities.encodingStation('enc-1'), audience: 'enrollment' }),
      await issuer.mint({ ...identities.enrollmentStation('hn-07'), audience: 'registry' }),
      'garbage',
    ]) {
      operator.set(STATION_TOKEN_HEADER, station);
      assert.deepEqual(await outcome(authenticate(operator, method, plaintext)), {
        code: status.UNAUTHENTICATED,
        reason: 'BAD_STATION_TOKEN',
      });
    }
  });

  it("on mutual TLS, needs a machine's certificate to name its token's subject", async () => {
    const authenticate = authenticateAt('card-production');
    const method = EncodingStationService.method.heartbeat;
    const token = await bearer(identities.encodingStation('enc-1'), 'card-production');
    assert.equal(
      ((await authenticate(token, method, certificateOf('station:enc-1'))) as Authorized).station,
      'enc-1',
    );
    assert.deepEqual(await outcome(authenticate(token, method, certificateOf('station:enc-2'))), {
      code: status.UNAUTHENTICATED,
      reason: 'CERTIFICATE_MISMATCH',
    });
    // A person's token travels over any platform certificate (the workstation's, the CLI's).
    const admin = await bearer(identities.administrator('a-1'), 'card-production');
    const allowed = await Promise.resolve(
      authenticate(admin, method, certificateOf('service:registry')),
    ).then(
      () => 'allowed',
      (e: RpcError) => e.code,
    );
    assert.equal(allowed, status.PERMISSION_DENIED, 'the admin is authenticated, then refused by the policy');
  });

  it('blocks a caller who keeps being refused, even for calls it may make', async () => {
    const authenticate = authenticateAt(
      'registry',
      new RateLimiterMemory({ points: 3, duration: 60, blockDuration: 60 }),
    );
    const agency = await bearer(identities.agency('bhxh'), 'registry');
    for (let i = 0; i < 4; i += 1) {
      assert.deepEqual(await outcome(authenticate(agency, RegistryService.method.recordDeath, plaintext)), {
        code: status.PERMISSION_DENIED,
        reason: 'NOT_ALLOWED',
      });
    }
    const fifth = await outcome(authenticate(agency, RegistryService.method.recordDeath, plaintext));
    assert.equal((fifth as { code: number }).code, status.RESOURCE_EXHAUSTED);
    // Another caller is not affected.
    const clerk = await bearer(identities.clerk('c-1', '79'), 'registry');
    assert.equal(
      ((await authenticate(clerk, RegistryService.method.recordDeath, plaintext)) as Authorized).subject,
      'clerk:c-1',
    );
    // Unauthenticated attempts count against the peer address; a valid token from the same
    // address (another user behind the same NAT) is not blocked by them.
    const garbage = new Metadata();
    garbage.set('authorization', 'Bearer not-a-token');
    const peer = { peer: 'ipv4:10.9.9.9:1234', certificate: undefined };
    for (let i = 0; i < 4; i += 1)
      await outcome(authenticate(garbage, RegistryService.method.getCitizen, peer));
    const blocked = await outcome(
      authenticate(garbage, RegistryService.method.getCitizen, { ...peer, peer: 'ipv4:10.9.9.9:999' }),
    );
    assert.equal((blocked as { code: number }).code, status.RESOURCE_EXHAUSTED);
    const neighbour = await authenticate(clerk, RegistryService.method.getCitizen, {
      ...peer,
      peer: 'ipv4:10.9.9.9:998',
    });
    assert.equal((neighbour as Authorized).subject, 'clerk:c-1');
    assert.ok(
      lines.every((l) => !JSON.stringify(l.fields).includes('not-a-token')),
      'no token in the logs',
    );
  });
});
