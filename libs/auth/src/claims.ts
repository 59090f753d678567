import type { JWTPayload } from 'jose';
import { CALLER_KINDS, type CallerKind, type Principal } from './principal.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const ROLE = /^[a-z][a-z0-9-]{0,63}$/;
const UNIT = /^\d{2,5}$/;

/** Why a token's claims were refused: goes to the refusal metric and log, never to the client. */
export class ClaimsError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ClaimsError';
  }
}

function optionalName(payload: JWTPayload, claim: string, pattern = NAME): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw new ClaimsError(`CLAIM_${claim.toUpperCase()}`);
  return value;
}

/** What each kind must name, so that a limit (own station, own agency, jurisdiction) can be checked. */
const REQUIRED: Record<CallerKind, readonly string[]> = {
  person: [],
  service: ['service'],
  station: ['station'],
  agency: ['agency'],
};

/** The principal of a token whose signature, issuer, audience and lifetime are already checked. */
export function principalOf(payload: JWTPayload): Principal {
  const { sub, iss, jti } = payload;
  if (typeof sub !== 'string' || !NAME.test(sub)) throw new ClaimsError('CLAIM_SUB');
  if (typeof jti !== 'string' || jti === '' || jti.length > 128) throw new ClaimsError('CLAIM_JTI');
  const kind = payload['kind'];
  if (typeof kind !== 'string' || !(CALLER_KINDS as readonly string[]).includes(kind))
    throw new ClaimsError('CLAIM_KIND');
  const roles = payload['roles'] ?? [];
  if (
    !Array.isArray(roles) ||
    roles.length > 32 ||
    !roles.every((r) => typeof r === 'string' && ROLE.test(r))
  )
    throw new ClaimsError('CLAIM_ROLES');
  const principal: Principal = {
    actor: sub,
    subject: sub,
    kind: kind as CallerKind,
    roles: roles as string[],
    issuer: iss ?? '',
    tokenId: jti,
    unit: optionalName(payload, 'unit', UNIT),
    station: optionalName(payload, 'station'),
    agency: optionalName(payload, 'agency'),
    service: optionalName(payload, 'service'),
  };
  for (const claim of REQUIRED[principal.kind]) {
    if (principal[claim as 'service' | 'station' | 'agency'] === undefined)
      throw new ClaimsError(`CLAIM_${claim.toUpperCase()}`);
  }
  return principal;
}
