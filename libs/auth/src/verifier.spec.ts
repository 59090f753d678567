import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SignJWT, generateKeyPair, exportJWK, createLocalJWKSet } from 'jose';
import { DevelopmentIssuer } from './development-issuer.js';
import { identities } from './identities.js';
import { TokenRefused, TokenVerifier } from './verifier.js';

const verifierFor = (issuer: DevelopmentIssuer, audience = 'registry') =>
  new TokenVerifier({ issuer: issuer.issuer, audience, keys: issuer.keys() });

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => assert.fail('the token was accepted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TokenRefused, String(error));
  return error.reason;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TokenVerifier', () => {
  it('accepts a development token and maps its claims to the principal', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const token = await issuer.mint({ ...identities.clerk('c-1', '79'), audience: 'registry' });
    const principal = await verifierFor(issuer).verify(token);
    assert.equal(principal.subject, 'clerk:c-1');
    assert.equal(principal.actor, 'clerk:c-1');
    assert.equal(principal.kind, 'person');
    assert.deepEqual(principal.roles, ['clerk']);
    assert.equal(principal.unit, '79');
    assert.equal(principal.issuer, issuer.issuer);
    assert.match(principal.tokenId, /^[0-9a-f-]{36}$/);
    const [header] = token.split('.');
    const decoded = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { alg: string; kid: string };
    assert.equal(decoded.alg, 'ES256');
    assert.equal(decoded.kid, issuer.currentKeyId);
  });

  it('refuses the old shared-secret scheme and HS256 JWTs whatever their secret', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const verifier = verifierFor(issuer);
    const secret = 'x'.repeat(32);
    // The scheme Cancuoc used before: base64url(claims).base64url(HMAC-SHA256(secret, claims)).
    const payload = b64({
      sub: 'admin:x',
      aud: 'registry',
      exp: Math.floor(Date.now() / 1000) + 600,
      roles: ['admin'],
    });
    const old = `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
    assert.equal(await refusal(verifier, old), 'MALFORMED');
    const hs256 = await new SignJWT({ kind: 'person', roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.currentKeyId })
      .setIssuer(issuer.issuer)
      .setAudience('registry')
      .setSubject('admin:x')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti('j-1')
      .sign(new TextEncoder().encode(secret));
    assert.notEqual(await refusal(verifier, hs256), undefined);
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'admin:x', aud: 'registry', iss: issuer.issuer, kind: 'person', roles: ['admin'] })}.`;
    assert.ok(await refusal(verifier, none));
  });

  it('refuses a token signed by another key, for another audience, expired, or without jti or kind', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const impostor = await DevelopmentIssuer.inMemory();
    const verifier = verifierFor(issuer);
    const clerk = identities.clerk('c-1', '79');
    assert.equal(
      await refusal(verifier, await impostor.mint({ ...clerk, audience: 'registry' })),
      'UNKNOWN_KEY',
    );
    assert.equal(
      await refusal(verifier, await issuer.mint({ ...clerk, audience: 'enrollment' })),
      'CLAIM_AUD',
    );
    assert.equal(
      await refusal(verifier, await issuer.mint({ ...clerk, audience: 'registry', ttlSeconds: -120 })),
      'TOKEN_EXPIRED',
    );

    // Same key id, different key: the signature does not verify.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ kind: 'person', roles: ['clerk'] })
      .setProtectedHeader({ alg: 'ES256', kid: issuer.currentKeyId })
      .setIssuer(issuer.issuer)
      .setAudience('registry')
      .setSubject('clerk:x')
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti('j-2')
      .sign(privateKey);
    assert.equal(await refusal(verifier, forged), 'BAD_SIGNATURE');

    const own = { ...(await exportJWK(publicKey)), kid: 'own', alg: 'ES256' };
    const ownVerifier = new TokenVerifier({
      issuer: 'urn:test',
      audience: 'registry',
      keys: createLocalJWKSet({ keys: [own] }),
    });
    const sign = (claims: Record<string, unknown>, jti?: string) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'own' })
        .setIssuer('urn:test')
        .setAudience('registry')
        .setSubject('clerk:x')
        .setIssuedAt()
        .setExpirationTime('10m');
      return (jti ? jwt.setJti(jti) : jwt).sign(privateKey);
    };
    assert.equal(await refusal(ownVerifier, await sign({ kind: 'person', roles: [] })), 'CLAIM_JTI');
    assert.equal(await refusal(ownVerifier, await sign({ roles: ['clerk'] }, 'j')), 'CLAIM_KIND');
    assert.equal(
      await refusal(ownVerifier, await sign({ kind: 'station', roles: ['encoding-station'] }, 'j')),
      'CLAIM_STATION',
    );
    assert.equal(
      await refusal(ownVerifier, await sign({ kind: 'person', roles: 'admin' }, 'j')),
      'CLAIM_ROLES',
    );
    assert.equal(
      await refusal(ownVerifier, await sign({ kind: 'person', roles: [], unit: 'Hà Nội' }, 'j')),
      'CLAIM_UNIT',
    );
    // A token lasting longer than the verifier accepts (12 h by default).
    const long = await new SignJWT({ kind: 'person', roles: [] })
      .setProtectedHeader({ alg: 'ES256', kid: 'own' })
      .setIssuer('urn:test')
      .setAudience('registry')
      .setSubject('clerk:x')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 13 * 3600)
      .setExpirationTime('1h')
      .setJti('j')
      .sign(privateKey);
    assert.equal(await refusal(ownVerifier, long), 'TOKEN_EXPIRED');
  });

  it('keeps accepting tokens of a rotated key while it is published, and refuses them once retired', async () => {
    const issuer = await DevelopmentIssuer.inMemory();
    const verifier = verifierFor(issuer);
    const before = await issuer.mint({ ...identities.administrator('a'), audience: 'registry' });
    const oldKid = issuer.currentKeyId;
    const newKid = await issuer.rotate();
    assert.notEqual(newKid, oldKid);
    const after = await issuer.mint({ ...identities.administrator('a'), audience: 'registry' });
    assert.equal((await verifier.verify(before)).subject, 'admin:a');
    assert.equal((await verifier.verify(after)).subject, 'admin:a');
    assert.deepEqual(
      issuer.jwks().keys.map((k) => k.kid),
      [newKid, oldKid],
    );
    assert.ok(
      issuer.jwks().keys.every((k) => k.d === undefined),
      'the JWKS holds public keys only',
    );
    await issuer.retire(oldKid);
    assert.equal(await refusal(verifier, before), 'UNKNOWN_KEY');
    assert.equal((await verifier.verify(after)).subject, 'admin:a');
  });

  it('keeps the development issuer in a file only its user can read, and reopens the same keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cancuoc-issuer-'));
    const file = join(dir, 'issuer.json');
    const [a, b] = await Promise.all([DevelopmentIssuer.open(file), DevelopmentIssuer.open(file)]);
    assert.equal(a.currentKeyId, b.currentKeyId, 'two processes creating it at once agree on one key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const token = await a.mint({ ...identities.service('enrollment'), audience: 'registry' });
    await a.rotate();
    const reopened = await DevelopmentIssuer.open(file);
    assert.equal(reopened.currentKeyId, a.currentKeyId);
    assert.equal((await verifierFor(reopened).verify(token)).service, 'enrollment');
    assert.match(await readFile(file, 'utf8'), /"d":/);
  });
});
