/**
 * Who may call card production, over real gRPC against the platform's one policy (@cancuoc/auth):
 * every RPC of both services, called with an empty request by every kind of caller. Operators'
 * RPCs are the administrators'; the trust material is every relying party's; the station protocol
 * is the encoding stations'. A token that is not a valid one of our issuer for this service — a
 * foreign issuer's, an expired one, another service's, the old shared-secret scheme's — is
 * UNAUTHENTICATED, the same answer whatever is wrong with it.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { DevelopmentIssuer, identities, type Identity } from '@cancuoc/auth';
import { closeClient, createClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { CardProductionService, EncodingStationService } from '@cancuoc/proto';
import {
  AUDIENCE,
  clientAs,
  startFixture,
  testIssuer,
  tokenOf,
  type Fixture,
} from './test-support/fixture.js';

/** The trust material: anyone who checks cards may read it. */
const RELYING_PARTY_RPCS = new Set(['GetRevocationList', 'GetTrustAnchors']);

const roleless: Identity = { subject: 'person:nobody', kind: 'person', roles: [] };

/** Every caller kind but the administrator, for the operators' RPCs. */
const notAdministrators: readonly [string, Identity][] = [
  ['an encoding station', identities.encodingStation('st-1')],
  ['an enrollment station', identities.enrollmentStation('en-1')],
  ['an agency', identities.agency('bo-cong-an')],
  ['a service', identities.service('enrollment')],
  ['a clerk', identities.clerk('c1', '01', { national: true })],
  ['an enrollment operator', identities.operator('o1')],
  ['a supervisor', identities.supervisor('s1')],
  ['a person without roles', roleless],
];

/** Those the trust material is for (the policy's `relyingParties`). */
const relyingParties: readonly [string, Identity][] = [
  ['an administrator', identities.administrator('a1')],
  ['an encoding station', identities.encodingStation('st-2')],
  ['an agency', identities.agency('bo-y-te')],
  ['a service', identities.service('data-sharing')],
];

/** Calls `method` with an empty request; the error, or undefined if it succeeded. */
async function callEmpty(client: GrpcClient<DescService>, method: DescMethod): Promise<unknown> {
  const rpc = (client as unknown as Record<string, (request: object) => unknown>)[method.localName]!;
  try {
    if (method.methodKind === 'server_streaming') {
      // A stream that is let through stays open: the first message (or the refusal) is enough.
      for await (const _ of rpc({ capacity: 1 }) as AsyncIterable<unknown>) break;
    } else {
      await rpc({});
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function codeOf(error: unknown): number | undefined {
  return error === undefined ? status.OK : readErrorDetails(error)?.code;
}

/** A token of the old scheme: HS256 over a shared secret, the claims it had. */
function hs256Token(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: 'admin:a1',
    aud: AUDIENCE,
    roles: ['admin'],
    kind: 'person',
    iss: testIssuer.issuer,
    iat: now,
    exp: now + 300,
    jti: 'old-scheme-1',
  })}`;
  const signature = createHmac('sha256', 'card-production-test-secret-0123456789-abcdef')
    .update(unsigned)
    .digest('base64url');
  return `${unsigned}.${signature}`;
}

describe('who may call card production (the platform policy, over gRPC)', () => {
  let f: Fixture;
  const clients: object[] = [];
  const as = <S extends DescService>(service: S, identity: Identity) => {
    const client = clientAs(service, f.running.grpc.address, identity, f.issuer);
    clients.push(client);
    return client as unknown as GrpcClient<DescService>;
  };
  const withToken = <S extends DescService>(service: S, token: string | undefined) => {
    const client = createClient(service, f.running.grpc.address, {
      metadata: (): Record<string, string> =>
        token === undefined ? {} : { authorization: `Bearer ${token}` },
      defaultTimeoutMs: 20_000,
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    for (const client of clients) closeClient(client);
    await f?.close();
  });

  it('refuses every operators’ RPC to anyone but an administrator, and lets relying parties read the trust material', async () => {
    assert.equal(CardProductionService.methods.length, 14, 'every RPC of the descriptor is called below');
    for (const [who, identity] of notAdministrators) {
      const client = as(CardProductionService, identity);
      const relyingParty = relyingParties.some(
        ([, party]) => party.kind === identity.kind && party.roles.some((r) => identity.roles.includes(r)),
      );
      for (const method of CardProductionService.methods) {
        const error = await callEmpty(client, method);
        const expected =
          RELYING_PARTY_RPCS.has(method.name) && relyingParty ? status.OK : status.PERMISSION_DENIED;
        assert.equal(codeOf(error), expected, `${who} calling ${method.name}: ${String(error)}`);
        if (expected === status.PERMISSION_DENIED) {
          assert.equal(
            readErrorDetails(error)?.errorInfo?.reason,
            'NOT_ALLOWED',
            `${who} calling ${method.name}`,
          );
        }
      }
    }
  });

  it('lets an administrator past the policy on every operators’ RPC (an empty request is then the handler’s to refuse)', async () => {
    const client = as(CardProductionService, identities.administrator('a2'));
    for (const method of CardProductionService.methods) {
      const code = codeOf(await callEmpty(client, method));
      assert.ok(
        code !== status.PERMISSION_DENIED && code !== status.UNAUTHENTICATED && code !== status.INTERNAL,
        `an administrator calling ${method.name} got ${code === undefined ? 'no status' : status[code]}`,
      );
    }
  });

  it('gives the trust material to every relying party', async () => {
    for (const [who, identity] of relyingParties) {
      const client = as(CardProductionService, identity);
      for (const name of RELYING_PARTY_RPCS) {
        const method = CardProductionService.methods.find((m) => m.name === name)!;
        assert.equal(codeOf(await callEmpty(client, method)), status.OK, `${who} calling ${name}`);
      }
    }
  });

  it('refuses the station protocol to anyone but an encoding station', async () => {
    const notStations: readonly [string, Identity][] = [
      ['an administrator', identities.administrator('a3')],
      ['an agency', identities.agency('bo-tu-phap')],
      ['a service', identities.service('registry')],
      ['an enrollment station', identities.enrollmentStation('en-2')],
      ['a person without roles', roleless],
      [
        'a station without the encoding role',
        { subject: 'station:st-bare', kind: 'station', roles: [], station: 'st-bare' },
      ],
    ];
    assert.equal(EncodingStationService.methods.length, 4);
    for (const [who, identity] of notStations) {
      const client = as(EncodingStationService, identity);
      for (const method of EncodingStationService.methods) {
        const error = await callEmpty(client, method);
        assert.equal(
          codeOf(error),
          status.PERMISSION_DENIED,
          `${who} calling ${method.name}: ${String(error)}`,
        );
      }
    }
    // The encoding station itself gets past the policy (its empty reports are then malformed).
    const station = as(EncodingStationService, identities.encodingStation('st-3'));
    for (const method of EncodingStationService.methods) {
      const code = codeOf(await callEmpty(station, method));
      assert.ok(
        code === status.OK || code === status.INVALID_ARGUMENT,
        `the station calling ${method.name}: ${code}`,
      );
    }
  });

  it('refuses a token of a foreign issuer, an expired one, another service’s, the old HS256 scheme’s, and none, as UNAUTHENTICATED', async () => {
    const admin = identities.administrator('a1');
    const station = identities.encodingStation('st-1');
    const sameNameOtherKeys = await DevelopmentIssuer.inMemory();
    const foreign = await DevelopmentIssuer.inMemory('https://issuer.foreign.example');
    const bad: readonly [string, Identity, string | undefined][] = [
      ['another issuer’s key under our issuer’s name', admin, await tokenOf(admin, sameNameOtherKeys)],
      ['a foreign issuer', station, await tokenOf(station, foreign)],
      ['an expired token', admin, await f.issuer.mint({ ...admin, audience: AUDIENCE, ttlSeconds: -120 })],
      ['a token for another service', admin, await f.issuer.mint({ ...admin, audience: 'registry' })],
      ['an HS256 token of the old shared-secret scheme', admin, hs256Token()],
      ['a malformed token', admin, 'not-a-jwt'],
      ['no token', admin, undefined],
    ];
    for (const [what, identity, token] of bad) {
      const service = identity.kind === 'station' ? EncodingStationService : CardProductionService;
      const method = service.methods.find(
        (m) => m.name === (identity.kind === 'station' ? 'Heartbeat' : 'GetTrustAnchors'),
      )!;
      const error = await callEmpty(withToken(service, token) as unknown as GrpcClient<DescService>, method);
      const details = readErrorDetails(error);
      assert.equal(details?.code, status.UNAUTHENTICATED, `${what}: ${String(error)}`);
      assert.match(details?.message ?? '', /token/, what);
      assert.ok(!JSON.stringify(details).includes(identity.subject), `${what}: the refusal names nobody`);
    }
    // And the same identities with a good token are let through.
    assert.equal(
      codeOf(await callEmpty(as(CardProductionService, admin), CardProductionService.method.getTrustAnchors)),
      status.OK,
    );
    assert.equal(
      codeOf(await callEmpty(as(EncodingStationService, station), EncodingStationService.method.heartbeat)),
      status.OK,
    );
  });
});
