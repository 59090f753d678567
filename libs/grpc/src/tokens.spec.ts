import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RpcError } from './errors.js';
import { bearerAuthenticator, signToken, verifyToken } from './tokens.js';

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
    });
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
