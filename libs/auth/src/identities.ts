import type { DevelopmentIssuer } from './development-issuer.js';
import type { CancuocClaims } from './principal.js';

/** A named identity the development issuer makes tokens for. */
export interface Identity extends CancuocClaims {
  readonly subject: string;
}

/**
 * The platform's caller kinds as identities, for the embedded platform's CLI (`cancuoc token`, the
 * demo) and for tests: one definition of what each kind's token holds.
 */
export const identities = {
  clerk: (id: string, unit: string, options: { national?: boolean } = {}): Identity => ({
    subject: `clerk:${id}`,
    kind: 'person',
    roles: options.national ? ['clerk', 'national'] : ['clerk'],
    unit,
  }),
  administrator: (id: string): Identity => ({ subject: `admin:${id}`, kind: 'person', roles: ['admin'] }),
  operator: (id: string): Identity => ({ subject: `operator:${id}`, kind: 'person', roles: ['operator'] }),
  supervisor: (id: string): Identity => ({
    subject: `supervisor:${id}`,
    kind: 'person',
    roles: ['supervisor'],
  }),
  service: (name: string): Identity => ({
    subject: `service:${name}`,
    kind: 'service',
    roles: ['service'],
    service: name,
  }),
  encodingStation: (id: string): Identity => ({
    subject: `station:${id}`,
    kind: 'station',
    roles: ['encoding-station'],
    station: id,
  }),
  enrollmentStation: (id: string): Identity => ({
    subject: `station:${id}`,
    kind: 'station',
    roles: ['enrollment-station'],
    station: id,
  }),
  agency: (code: string): Identity => ({
    subject: `agency:${code}`,
    kind: 'agency',
    roles: ['agency'],
    agency: code,
  }),
} as const;

/** `authorization: Bearer …` metadata for `identity` at `audience`, from the development issuer. */
export async function bearerFor(
  issuer: DevelopmentIssuer,
  identity: Identity,
  audience: string,
  ttlSeconds?: number,
): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await issuer.mint({ ...identity, audience, ttlSeconds })}` };
}
