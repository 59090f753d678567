import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RpcError } from './errors.js';
import { bearerAuthenticator, requireRole, signToken, verifyToken } from './tokens.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

function call(header?: string) {
  const metadata = new grpc.Metadata();
  if (header) metadata.set('authorization', header);
  return bearerAuthenticator(SECRET, 'registry')(metadata, undefined as never);
}

describe('bearer tokens', () => {
  it('accepts a token signed for the audience and names the caller', async () => {
    assert.deepEqual(await call(`Bearer ${signToken(SECRET, { sub: 'clerk:hn-001', aud: 'registry' })}`), {
      actor: 'clerk:hn-001',
      roles: [],
    });
  });

  it('carries roles, and requireRole refuses a caller without one of them', async () => {
    const token = signToken(SECRET, { sub: 'operator:hn-07-1', aud: 'registry', roles: ['operator'] });
    const caller = await call(`Bearer ${token}`);
    assert.deepEqual(caller, { actor: 'operator:hn-07-1', roles: ['operator'] });
    requireRole(caller, 'operator', 'supervisor');
    assert.throws(
      () => requireRole(caller, 'supervisor'),
      (e: unknown) => e instanceof RpcError && e.code === grpc.status.PERMISSION_DENIED,
    );
  });

  it('refuses a token whose roles are not a list of names', async () => {
    // Correctly signed, so only the shape of `roles` can make it fail.
    const sign = (claims: object) => {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
    };
    const exp = Math.floor(Date.now() / 1000) + 60;
    assert.ok(verifyToken(SECRET, sign({ sub: 'x', aud: 'registry', exp, roles: ['agency'] }), 'registry'));
    for (const roles of ['admin', [1], [''], {}]) {
      assert.equal(
        verifyToken(SECRET, sign({ sub: 'x', aud: 'registry', exp, roles }), 'registry'),
        undefined,
      );
    }
  });

  it('refuses a missing, forged, expired or misdirected token', async () => {
    const good = signToken(SECRET, { sub: 'clerk:hn-001', aud: 'registry' });
    const [payload] = good.split('.');
    const forged = `${Buffer.from(JSON.stringify({ sub: 'admin', aud: 'registry', exp: 9e9 })).toString('base64url')}.${good.split('.')[1]}`;
    for (const header of [
      undefined,
      'Basic abc',
      `Bearer ${forged}`,
      `Bearer ${payload}.`,
      `Bearer ${signToken('another-secret-that-is-long-enough-0123456789', { sub: 'x', aud: 'registry' })}`,
      `Bearer ${signToken(SECRET, { sub: 'x', aud: 'registry', ttlSeconds: -10 })}`,
      `Bearer ${signToken(SECRET, { sub: 'x', aud: 'enrollment' })}`,
    ]) {
      await assert.rejects(
        async () => call(header),
        (e: unknown) => e instanceof RpcError && e.code === grpc.status.UNAUTHENTICATED,
        String(header),
      );
    }
    assert.equal(verifyToken(SECRET, 'not-a-token', 'registry'), undefined);
  });

  it('refuses short secrets', () => assert.throws(() => signToken('short', { sub: 'x', aud: 'y' })));
});
