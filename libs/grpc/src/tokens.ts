import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { permissionDenied, unauthenticated } from './errors.js';
import type { Authenticator } from './service.js';

/**
 * Signed bearer tokens between Cancuoc services, stations and operators' tools (architecture
 * decision 9): `base64url(claims).base64url(HMAC-SHA256(secret, claims))` in `authorization:
 * Bearer …`. The subject names a service, station or staff member — never a citizen. In production
 * mTLS sits beneath this; the token says who, the certificate says which machine.
 */
export interface TokenClaims {
  /** Who is calling: `service:enrollment`, `station:hn-07`, `clerk:hn-001`. */
  readonly sub: string;
  /** Which service the token is for, e.g. `registry`. */
  readonly aud: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /**
   * What the subject may do at that service, e.g. `operator`, `supervisor`, `station`, `agency`.
   * Absent in tokens made before roles existed: such a caller has no role.
   */
  readonly roles?: readonly string[];
}

export interface Caller {
  readonly actor: string;
  /** The token's roles; a service decides per RPC which it requires (`requireRole`). */
  readonly roles: readonly string[];
}

const MIN_SECRET_BYTES = 32;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

function checkSecret(secret: string): void {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
    throw new Error(`token secrets need at least ${MIN_SECRET_BYTES} bytes`);
}

export function signToken(
  secret: string,
  claims: { sub: string; aud: string; roles?: readonly string[]; ttlSeconds?: number },
): string {
  checkSecret(secret);
  const body: TokenClaims = {
    sub: claims.sub,
    aud: claims.aud,
    exp: Math.floor(Date.now() / 1000) + (claims.ttlSeconds ?? 3_600),
    ...(claims.roles && claims.roles.length > 0 ? { roles: [...claims.roles] } : {}),
  };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a valid token for `audience`, or undefined: bad signature, expired, or another audience. */
export function verifyToken(secret: string, token: string, audience: string): TokenClaims | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: Partial<TokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Partial<TokenClaims>;
  } catch {
    return undefined;
  }
  if (typeof claims.sub !== 'string' || !claims.sub || claims.aud !== audience) return undefined;
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return undefined;
  if (
    claims.roles !== undefined &&
    (!Array.isArray(claims.roles) || !claims.roles.every((r) => typeof r === 'string' && r !== ''))
  )
    return undefined;
  return claims as TokenClaims;
}

/** The authentication hook of a service that accepts tokens signed with `secret` for `audience`. */
export function bearerAuthenticator(secret: string, audience: string): Authenticator<Caller> {
  checkSecret(secret);
  return (metadata: grpc.Metadata) => {
    const header = metadata.get('authorization')[0];
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) throw unauthenticated('a bearer token is required');
    const claims = verifyToken(secret, token, audience);
    if (!claims) throw unauthenticated('the token is invalid, expired or not for this service');
    return { actor: claims.sub, roles: claims.roles ?? [] };
  };
}

/**
 * Refuses the call with PERMISSION_DENIED unless the caller holds one of `roles`. The refusal
 * names the roles required, never anything about the data asked for.
 */
export function requireRole(caller: Caller, ...roles: readonly string[]): void {
  if (roles.some((r) => caller.roles.includes(r))) return;
  throw permissionDenied(`this call needs the role ${roles.join(' or ')}`, {
    reason: 'ROLE_REQUIRED',
    metadata: { roles: roles.join(',') },
  });
}
