import { unauthenticated } from '@cancuoc/grpc';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { ClaimsError, principalOf } from './claims.js';
import { discover } from './discovery.js';
import type { Principal } from './principal.js';

/** Asymmetric algorithms only: an HMAC token (the old shared-secret scheme) is never accepted. */
export const ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** A refused token: `reason` goes to the refusal metric and log, never more than that to the client. */
export class TokenRefused extends Error {
  constructor(readonly reason: string) {
    super(`token refused: ${reason}`);
    this.name = 'TokenRefused';
  }
}

export interface VerifierOptions {
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** This service's audience (`registry`, `enrollment`, …). */
  readonly audience: string;
  /** The issuer's public keys. */
  readonly keys: JWTVerifyGetKey;
  /** Longest accepted token lifetime (`exp - iat`). Default 12 h. */
  readonly maxLifetimeSeconds?: number;
  /** Clock skew tolerated on `exp`, `iat` and `nbf`. Default 30 s. */
  readonly clockToleranceSeconds?: number;
}

/** Checks bearer tokens for one audience; holds public keys only. */
export class TokenVerifier {
  constructor(private readonly options: VerifierOptions) {}

  get audience(): string {
    return this.options.audience;
  }

  /** The principal of a valid token, or {@link TokenRefused} naming why not. */
  async verify(token: string): Promise<Principal> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [...ALGORITHMS],
        requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        maxTokenAge: this.options.maxLifetimeSeconds ?? 12 * 3600,
      }));
    } catch (error) {
      throw new TokenRefused(refusalReason(error));
    }
    try {
      return principalOf(payload);
    } catch (error) {
      if (error instanceof ClaimsError) throw new TokenRefused(error.reason);
      throw error;
    }
  }
}

function refusalReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'TOKEN_EXPIRED';
  if (error instanceof errors.JWTClaimValidationFailed) return `CLAIM_${error.claim.toUpperCase()}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'BAD_SIGNATURE';
  if (error instanceof errors.JWKSNoMatchingKey) return 'UNKNOWN_KEY';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'ALGORITHM_NOT_ALLOWED';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) throw error;
  if (error instanceof errors.JOSEError) return 'MALFORMED';
  // Not the token's fault (the key set could not be fetched, …): a server fault, not a refusal.
  throw error;
}

/**
 * The public keys of an OpenID Connect provider: its JWKS, found through discovery, cached and
 * fetched again when a token names a key it does not hold (so a rotation needs no restart).
 */
export function issuerKeys(
  issuer: string,
  options: { cacheMaxAgeMs?: number; cooldownMs?: number } = {},
): JWTVerifyGetKey {
  let keys: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    if (!keys) {
      const { jwks_uri } = await discover(issuer);
      keys ??= createRemoteJWKSet(new URL(jwks_uri), {
        cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
        cooldownDuration: options.cooldownMs ?? 30_000,
      });
    }
    return keys(header, token);
  };
}

/** Keys given in process (the embedded development issuer's public JWKS). */
export function localKeys(jwks: () => JSONWebKeySet): JWTVerifyGetKey {
  return (header, token) => createLocalJWKSet(jwks())(header, token);
}

/** The UNAUTHENTICATED status a refused token becomes: one message, whatever the reason. */
export function refusedToken(reason: string) {
  return unauthenticated('the token is invalid, expired or not for this service', {
    reason: 'INVALID_TOKEN',
    metadata: { detail: reason },
  });
}
