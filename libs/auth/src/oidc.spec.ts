import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOidcProvider, type OidcProvider, type OidcTokenClaims } from '@cancuoc/testing';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JSONWebKeySet } from 'jose';
import { discover } from './discovery.js';
import { identities, type Identity } from './identities.js';
import { clientCredentials } from './token-source.js';
import { issuerKeys, TokenRefused, TokenVerifier } from './verifier.js';

/** An identity's claims, as a client registration at the provider holds them. */
function claimsOf({ subject: _subject, ...claims }: Identity): OidcTokenClaims {
  return claims;
}

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TokenRefused, `expected a refusal, got ${String(error)}`);
  return error.reason;
}

describe('client credentials from a real OpenID Connect provider', () => {
  let provider: OidcProvider;
  const verifier = (audience: string) =>
    new TokenVerifier({ issuer: provider.issuer, audience, keys: issuerKeys(provider.issuer) });

  before(async () => {
    provider = await startOidcProvider();
  });
  after(() => provider.stop());

  it('gives a service an ES256 JWT for the audience asked for, verified and mapped to its principal', async () => {
    const registry = await provider.machineCredentials(
      'service:registry',
      claimsOf(identities.service('registry')),
    );
    const token = await clientCredentials({ issuer: provider.issuer, ...registry }).token('enrollment');

    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.kid, provider.signingKeyId);
    const payload = decodeJwt(token);
    assert.equal(payload.aud, 'enrollment');
    assert.equal(payload.iss, provider.issuer);
    assert.ok(typeof payload.jti === 'string' && payload.jti.length > 0);

    const principal = await verifier('enrollment').verify(token);
    assert.deepEqual(
      { ...principal },
      {
        actor: 'service:registry',
        subject: 'service:registry',
        kind: 'service',
        roles: ['service'],
        issuer: provider.issuer,
        tokenId: payload.jti,
        unit: undefined,
        station: undefined,
        agency: undefined,
        service: 'registry',
      },
    );
  });

  it('maps a station’s and an agency’s registration claims to their principals', async () => {
    const station = await provider.machineCredentials(
      'station:st-1',
      claimsOf(identities.encodingStation('st-1')),
    );
    const agency = await provider.machineCredentials('agency:bhxh', claimsOf(identities.agency('bhxh')));

    const stationPrincipal = await verifier('card-production').verify(
      await clientCredentials({ issuer: provider.issuer, ...station }).token('card-production'),
    );
    assert.equal(stationPrincipal.subject, 'station:st-1');
    assert.equal(stationPrincipal.kind, 'station');
    assert.deepEqual(stationPrincipal.roles, ['encoding-station']);
    assert.equal(stationPrincipal.station, 'st-1');

    const agencyPrincipal = await verifier('data-sharing').verify(
      await clientCredentials({ issuer: provider.issuer, ...agency }).token('data-sharing'),
    );
    assert.equal(agencyPrincipal.subject, 'agency:bhxh');
    assert.equal(agencyPrincipal.kind, 'agency');
    assert.deepEqual(agencyPrincipal.roles, ['agency']);
    assert.equal(agencyPrincipal.agency, 'bhxh');
  });

  it('refuses a client whose assertion is signed with a key it was not registered with', async () => {
    await provider.machineCredentials('service:enrollment', claimsOf(identities.service('enrollment')));
    const { privateKey } = await generateKeyPair('ES256');
    const impostor = clientCredentials({
      issuer: provider.issuer,
      clientId: 'service:enrollment',
      privateKey,
    });
    await assert.rejects(
      impostor.token('registry'),
      /refused client service:enrollment for registry: invalid_client/,
    );
  });

  it('refuses a client it does not know', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const unknown = clientCredentials({ issuer: provider.issuer, clientId: 'service:nobody', privateKey });
    await assert.rejects(unknown.token('registry'), /invalid_client/);
  });

  it('refuses a resource that is not a Cancuoc service', async () => {
    const registry = await provider.machineCredentials(
      'service:registry',
      claimsOf(identities.service('registry')),
    );
    await assert.rejects(
      clientCredentials({ issuer: provider.issuer, ...registry }).token('payroll'),
      /for payroll: invalid_target/,
    );
  });

  it('a token for registry is refused by the enrollment service’s verifier', async () => {
    const station = await provider.machineCredentials(
      'station:en-1',
      claimsOf(identities.enrollmentStation('en-1')),
    );
    const token = await clientCredentials({ issuer: provider.issuer, ...station }).token('registry');
    assert.equal((await verifier('registry').verify(token)).station, 'en-1');
    assert.equal(await refusal(verifier('enrollment'), token), 'CLAIM_AUD');
  });
});

describe('signing key rotation at a real OpenID Connect provider', () => {
  let provider: OidcProvider;

  before(async () => {
    provider = await startOidcProvider();
  });
  after(() => provider.stop());

  async function published(): Promise<string[]> {
    const { jwks_uri } = await discover(provider.issuer);
    const jwks = (await (await fetch(jwks_uri)).json()) as JSONWebKeySet;
    return jwks.keys.map((key) => key.kid!);
  }

  it('keeps tokens of the old key valid during the overlap and refuses them once it is retired', async () => {
    const registry = await provider.machineCredentials(
      'service:registry',
      claimsOf(identities.service('registry')),
    );
    // A fresh source each time: a source keeps its token until near expiry.
    const mint = () => clientCredentials({ issuer: provider.issuer, ...registry }).token('enrollment');
    const cacheMaxAgeMs = 300;
    const verifier = new TokenVerifier({
      issuer: provider.issuer,
      audience: 'enrollment',
      keys: issuerKeys(provider.issuer, { cacheMaxAgeMs, cooldownMs: 0 }),
    });

    const oldKid = provider.signingKeyId;
    const oldToken = await mint();
    assert.equal(decodeProtectedHeader(oldToken).kid, oldKid);
    await verifier.verify(oldToken); // the verifier now holds the JWKS of one key

    const newKid = await provider.rotateKeys();
    assert.notEqual(newKid, oldKid);
    assert.equal(provider.signingKeyId, newKid);
    assert.deepEqual(await published(), [newKid, oldKid]);
    const issuerBefore = provider.issuer;

    const newToken = await mint();
    assert.equal(decodeProtectedHeader(newToken).kid, newKid);
    // An unknown kid: the verifier fetches the JWKS again and finds it.
    assert.equal((await verifier.verify(newToken)).service, 'registry');
    assert.equal((await verifier.verify(oldToken)).service, 'registry');
    assert.equal(provider.issuer, issuerBefore);

    await provider.retireOldKeys();
    assert.deepEqual(await published(), [newKid]);
    await sleep(cacheMaxAgeMs + 100);
    assert.equal(await refusal(verifier, oldToken), 'UNKNOWN_KEY');
    assert.equal((await verifier.verify(newToken)).service, 'registry');
    assert.equal((await verifier.verify(await mint())).subject, 'service:registry');
  });
});
