/**
 * The kinds of caller the platform knows (architecture decision 9). Each has its own credential:
 * people sign in through an OpenID Connect provider; services, stations and agencies use client
 * credentials of their own.
 */
export const CALLER_KINDS = ['person', 'service', 'station', 'agency'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** Who is calling, from a verified token (and, in server mode, the client certificate). */
export interface Principal {
  /** Who acts, as events and the audit log record it: the token's `sub`. */
  readonly actor: string;
  readonly roles: readonly string[];
  /** The token's `sub`. */
  readonly subject: string;
  readonly kind: CallerKind;
  readonly issuer: string;
  /** The token's `jti`. */
  readonly tokenId: string;
  /** A person's administrative unit (a province or commune code): the jurisdiction of a clerk. */
  readonly unit: string | undefined;
  /** The station a station's token names, or the station a person is signed in at. */
  readonly station: string | undefined;
  /** The agency an agency's token names. */
  readonly agency: string | undefined;
  /** The service a service's token names (`registry`, `enrollment`, …). */
  readonly service: string | undefined;
}

/**
 * The claims Cancuoc reads beside the registered ones (`iss`, `aud`, `sub`, `iat`, `exp`, `jti`).
 * Any OpenID Connect provider can issue them: they are mapped from the account (people) or the
 * client's registration (services, stations, agencies) — see docs/security.md.
 */
export interface CancuocClaims {
  readonly kind: CallerKind;
  readonly roles: readonly string[];
  readonly unit?: string;
  readonly station?: string;
  readonly agency?: string;
  readonly service?: string;
}
