import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceApprovalError, startOidcProvider, type OidcProvider } from '@cancuoc/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { discover } from './discovery.js';
import { deviceLogin, DeviceLoginError, refreshDeviceTokens } from './device-login.js';
import { issuerKeys, TokenRefused, TokenVerifier } from './verifier.js';

const CLERK = { accountId: 'clerk:an', claims: { kind: 'person', roles: ['clerk'], unit: '01' } } as const;
const ADMIN = { accountId: 'admin:binh', claims: { kind: 'person', roles: ['admin'] } } as const;

/** Fast polling: the provider names no interval, RFC 8628's default is 5 s. */
const POLL_MS = 100;

describe('device login (RFC 8628) against a real OpenID Connect provider', () => {
  let provider: OidcProvider;
  const verifier = (audience: string) =>
    new TokenVerifier({ issuer: provider.issuer, audience, keys: issuerKeys(provider.issuer) });

  before(async () => {
    provider = await startOidcProvider({ accounts: [CLERK, ADMIN] });
  });
  after(() => provider.stop());

  it('signs a person in; the token carries their roles and unit; refreshFor gives one for another service', async () => {
    let shown: { uri: string; code: string; complete: string | undefined } | undefined;
    let approval: Promise<void> | undefined;
    const login = await deviceLogin({
      issuer: provider.issuer,
      audience: ['registry', 'enrollment'],
      defaultIntervalMs: POLL_MS,
      prompt(uri, code, complete) {
        shown = { uri, code, complete };
        // The person approves in a browser a little later: the first polls are still pending.
        approval = sleep(3 * POLL_MS).then(() => provider.approveDevice(code, CLERK.accountId));
      },
    });
    await approval;

    assert.equal(shown?.uri, `${provider.issuer}/device`);
    assert.match(shown?.code ?? '', /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(login.audience, 'registry');
    assert.ok(login.expiresAt.getTime() > Date.now());
    assert.equal(decodeProtectedHeader(login.accessToken).alg, 'ES256');

    const principal = await verifier('registry').verify(login.accessToken);
    assert.equal(principal.subject, 'clerk:an');
    assert.equal(principal.kind, 'person');
    assert.deepEqual(principal.roles, ['clerk']);
    assert.equal(principal.unit, '01');

    const firstRefreshToken = login.refreshToken;
    assert.ok(firstRefreshToken);
    const enrollment = await login.refreshFor('enrollment');
    assert.equal(enrollment.audience, 'enrollment');
    const other = await verifier('enrollment').verify(enrollment.accessToken);
    assert.equal(other.subject, 'clerk:an');
    assert.equal(other.unit, '01');
    await assert.rejects(verifier('registry').verify(enrollment.accessToken), (error: unknown) => {
      assert.ok(error instanceof TokenRefused);
      assert.equal(error.reason, 'CLAIM_AUD');
      return true;
    });
    // The provider rotates a public client's refresh token: the login keeps the newest.
    assert.ok(enrollment.refreshToken);
    assert.equal(login.refreshToken, enrollment.refreshToken);
    assert.notEqual(enrollment.refreshToken, firstRefreshToken);

    // A later run of the CLI, from the saved refresh token.
    const again = await refreshDeviceTokens({
      issuer: provider.issuer,
      refreshToken: login.refreshToken!,
      audience: 'registry',
    });
    assert.equal((await verifier('registry').verify(again.accessToken)).subject, 'clerk:an');
    // The rotated-away refresh token is spent.
    await assert.rejects(
      refreshDeviceTokens({ issuer: provider.issuer, refreshToken: firstRefreshToken, audience: 'registry' }),
      (error: unknown) => error instanceof DeviceLoginError && error.code === 'invalid_grant',
    );
  });

  it('refuses a token for a service the login did not ask for', async () => {
    const login = await deviceLogin({
      issuer: provider.issuer,
      audience: 'registry',
      defaultIntervalMs: POLL_MS,
      prompt: (_uri, code) => provider.approveDevice(code, ADMIN.accountId),
    });
    assert.deepEqual((await verifier('registry').verify(login.accessToken)).roles, ['admin']);
    await assert.rejects(
      login.refreshFor('data-sharing'),
      (error: unknown) => error instanceof DeviceLoginError && error.code === 'invalid_target',
    );
  });

  it('a refused sign-in ends the login with access_denied', async () => {
    await assert.rejects(
      deviceLogin({
        issuer: provider.issuer,
        audience: 'registry',
        defaultIntervalMs: POLL_MS,
        prompt: (_uri, code) => provider.denyDevice(code),
      }),
      (error: unknown) => {
        assert.ok(error instanceof DeviceLoginError);
        assert.equal(error.code, 'access_denied');
        assert.match(error.message, /was refused/);
        return true;
      },
    );
  });

  it('a user code the provider never issued is not accepted on the verification page', async () => {
    await assert.rejects(provider.approveDevice('BCDF-GHJK', CLERK.accountId), (error: unknown) => {
      assert.ok(error instanceof DeviceApprovalError);
      assert.match(error.message, /BCDF-GHJK was not accepted: the code was not found/);
      return true;
    });
  });

  it('an account the provider does not know cannot sign in: the login is cancelled', async () => {
    let approval: Promise<unknown> | undefined;
    const login = deviceLogin({
      issuer: provider.issuer,
      audience: 'registry',
      defaultIntervalMs: POLL_MS,
      prompt(_uri, code) {
        approval = provider.approveDevice(code, 'clerk:nobody').catch((error: unknown) => error);
      },
    });
    await assert.rejects(
      login,
      (error: unknown) => error instanceof DeviceLoginError && error.code === 'access_denied',
    );
    const error = await approval;
    assert.ok(error instanceof DeviceApprovalError);
    assert.match(error.message, /signing in as clerk:nobody failed: unknown account/);
  });

  it('a login survives a key rotation: the refresh gives a token signed with the new key', async () => {
    const login = await deviceLogin({
      issuer: provider.issuer,
      audience: ['registry', 'enrollment'],
      defaultIntervalMs: POLL_MS,
      prompt: (_uri, code) => provider.approveDevice(code, CLERK.accountId),
    });
    const oldKid = decodeProtectedHeader(login.accessToken).kid;
    const newKid = await provider.rotateKeys();
    const enrollment = await login.refreshFor('enrollment');
    assert.equal(decodeProtectedHeader(enrollment.accessToken).kid, newKid);
    assert.notEqual(newKid, oldKid);
    assert.equal((await verifier('enrollment').verify(enrollment.accessToken)).unit, '01');
    assert.equal((await verifier('registry').verify(login.accessToken)).unit, '01');
  });
});

describe('device login when nobody approves', () => {
  let provider: OidcProvider;

  before(async () => {
    provider = await startOidcProvider({ accounts: [CLERK], deviceCodeTtlSeconds: 1 });
  });
  after(() => provider.stop());

  it('ends with expired_token when the code expires', async () => {
    let code = '';
    await assert.rejects(
      deviceLogin({
        issuer: provider.issuer,
        audience: 'registry',
        defaultIntervalMs: POLL_MS,
        prompt: (_uri, userCode) => {
          code = userCode;
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof DeviceLoginError);
        assert.equal(error.code, 'expired_token');
        assert.match(error.message, new RegExp(`before code ${code} expired`));
        return true;
      },
    );
  });

  it('says so when the provider cannot be reached', async () => {
    await assert.rejects(
      deviceLogin({ issuer: 'http://127.0.0.1:9', audience: 'registry', prompt: () => undefined }),
      /127\.0\.0\.1:9/,
    );
  });

  it('the expiry of the access token is the provider’s', async () => {
    const login = await deviceLogin({
      issuer: provider.issuer,
      audience: 'registry',
      defaultIntervalMs: POLL_MS,
      prompt: (_uri, code) => provider.approveDevice(code, CLERK.accountId),
    });
    const { exp } = decodeJwt(login.accessToken);
    assert.ok(Math.abs(login.expiresAt.getTime() - exp! * 1000) < 5_000);
  });
});

describe('device login at a provider that names its polling interval', () => {
  let provider: OidcProvider;

  before(async () => {
    provider = await startOidcProvider({ accounts: [CLERK], devicePollIntervalSeconds: 1 });
  });
  after(() => provider.stop());

  it('polls at the provider’s interval, not the default, and never gets slow_down', async () => {
    const started = Date.now();
    let approval: Promise<void> | undefined;
    const login = await deviceLogin({
      issuer: provider.issuer,
      audience: 'registry',
      defaultIntervalMs: 10,
      prompt(_uri, code) {
        approval = sleep(1_500).then(() => provider.approveDevice(code, CLERK.accountId));
      },
    });
    await approval;
    const elapsed = Date.now() - started;
    // Polls at 1 s and 2 s: the second gets the token. A slow_down would have added 5 s.
    assert.ok(elapsed >= 2_000 && elapsed < 5_000, `took ${elapsed} ms`);
    assert.equal(decodeJwt(login.accessToken).sub, 'clerk:an');
  });

  it('answers slow_down to a device that polls too fast', async () => {
    const { device_authorization_endpoint, token_endpoint } = await discover(provider.issuer);
    const start = await fetch(device_authorization_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'cancuoc-cli',
        scope: 'openid',
        resource: 'urn:cancuoc:registry',
      }),
    });
    const { device_code, interval } = (await start.json()) as { device_code: string; interval: number };
    assert.equal(interval, 1);
    const poll = async () => {
      const response = await fetch(token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code,
          client_id: 'cancuoc-cli',
          resource: 'urn:cancuoc:registry',
        }),
      });
      return ((await response.json()) as { error: string }).error;
    };
    assert.equal(await poll(), 'authorization_pending');
    assert.equal(await poll(), 'slow_down');
  });
});
