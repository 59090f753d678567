import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeJwt, importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { DevelopmentIssuer } from './development-issuer.js';
import { discover } from './discovery.js';
import type { CancuocClaims } from './principal.js';

/** Where a caller gets its bearer token for a service (its audience). */
export interface TokenSource {
  token(audience: string): Promise<string>;
}

/** The RFC 8707 resource indicator of a Cancuoc service's audience. */
export const resourceOf = (audience: string) => `urn:cancuoc:${audience}`;

/** Tokens kept until a minute before they expire, one request at a time per audience. */
class CachedTokens implements TokenSource {
  private readonly cache = new Map<string, Promise<{ token: string; refreshAt: number }>>();

  constructor(private readonly fetchToken: (audience: string) => Promise<string>) {}

  async token(audience: string): Promise<string> {
    const cached = this.cache.get(audience);
    if (cached) {
      const entry = await cached.catch(() => undefined);
      if (entry && entry.refreshAt > Date.now()) return entry.token;
    }
    const pending = this.fetchToken(audience).then((token) => {
      const { exp, iat } = decodeJwt(token);
      const lifetime = (exp ?? 0) - (iat ?? Math.floor(Date.now() / 1000));
      // Refresh when a fifth of the lifetime (at most a minute) is left.
      const margin = Math.min(60, lifetime / 5);
      return { token, refreshAt: ((exp ?? 0) - margin) * 1000 };
    });
    this.cache.set(audience, pending);
    pending.catch(() => this.cache.delete(audience));
    return (await pending).token;
  }
}

/** Tokens from the embedded development issuer for one identity (the embedded platform's services). */
export function developmentTokens(
  issuer: DevelopmentIssuer,
  identity: CancuocClaims & { readonly subject: string },
  ttlSeconds = 3_600,
): TokenSource {
  return new CachedTokens((audience) => issuer.mint({ ...identity, audience, ttlSeconds }));
}

export interface ClientCredentialsOptions {
  /** The OpenID Connect provider's issuer URL. */
  readonly issuer: string;
  readonly clientId: string;
  /** The client's own private key (PKCS#8 PEM or a JWK), for `private_key_jwt` (RFC 7523). */
  readonly privateKey: CryptoKey;
  readonly algorithm?: 'ES256' | 'EdDSA';
}

/** Reads a client's private key file: PKCS#8 PEM, or a JWK in JSON. */
export async function readPrivateKey(
  file: string,
  algorithm: 'ES256' | 'EdDSA' = 'ES256',
): Promise<CryptoKey> {
  const text = await readFile(file, 'utf8');
  if (text.trimStart().startsWith('{'))
    return (await importJWK(JSON.parse(text) as JWK, algorithm)) as CryptoKey;
  return importPKCS8(text, algorithm);
}

/**
 * OAuth 2.0 client credentials at the provider's token endpoint: the client proves itself with a
 * JWT signed by its own key (`private_key_jwt`; no shared client secret) and asks for a token for
 * one service with a resource indicator (RFC 8707).
 */
export function clientCredentials(options: ClientCredentialsOptions): TokenSource {
  const algorithm = options.algorithm ?? 'ES256';
  return new CachedTokens(async (audience) => {
    const { token_endpoint } = await discover(options.issuer);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: algorithm })
      .setIssuer(options.clientId)
      .setSubject(options.clientId)
      .setAudience(token_endpoint)
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(randomUUID())
      .sign(options.privateKey);
    const response = await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: resourceOf(audience),
        client_id: options.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string };
    if (!response.ok || typeof body.access_token !== 'string')
      throw new Error(
        `the token endpoint refused client ${options.clientId} for ${audience}: ${body.error ?? response.status}`,
      );
    return body.access_token;
  });
}
