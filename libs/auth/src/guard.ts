import type { DescMethod } from '@bufbuild/protobuf';
import {
  permissionDenied,
  type RpcError,
  unauthenticated,
  type Authenticator,
  type CallTransport,
} from '@cancuoc/grpc';
import type { Metadata } from '@grpc/grpc-js';
import { notAllowed, type Grant, type Policy } from './policy/policy.js';
import type { Principal } from './principal.js';
import { callerFields, callerKey, Refusals, type RefusalOptions } from './refusals.js';
import { TokenRefused, type TokenVerifier } from './verifier.js';

/** The header carrying an enrollment station's own token, beside the operator's `authorization`. */
export const STATION_TOKEN_HEADER = 'x-station-token';

/** A caller the policy allowed, with the grant it was allowed under (its limit applies). */
export interface Authorized extends Principal {
  readonly grant: Grant;
}

export interface GuardOptions extends RefusalOptions {
  readonly verifier: TokenVerifier;
  readonly policy: Policy;
  /** Refusals to share between services of one process; default one of its own. */
  readonly refusals?: Refusals;
}

function bearer(metadata: Metadata): string | undefined {
  const header = metadata.get('authorization')[0];
  return typeof header === 'string' && header.startsWith('Bearer ')
    ? header.slice(7).trim() || undefined
    : undefined;
}

/** The identity a client certificate proves: a `URI:cancuoc:<subject>` SAN, else the common name. */
export function certificateSubject(transport: CallTransport): string | undefined {
  const certificate = transport.certificate;
  if (!certificate) return undefined;
  const uri = certificate.subjectAltNames.find((name) => name.startsWith('URI:cancuoc:'));
  return uri ? uri.slice('URI:cancuoc:'.length) : certificate.commonName;
}

/**
 * Authentication and authorization for every call of a service, in one place (architecture
 * decision 9): the bearer token is verified (signature by the issuer's published keys, issuer,
 * audience, lifetime); on mutual TLS a service's, station's or agency's certificate must name the
 * token's subject, so a stolen token is useless without the machine's key; a person signed in at
 * an enrollment station also presents the station's token; then the policy must hold a grant for
 * the RPC, or the call is PERMISSION_DENIED before its handler runs. Every refusal is counted,
 * logged and rate-limited per caller.
 */
export function guard(options: GuardOptions): Authenticator<Authorized> {
  const refusals = options.refusals ?? new Refusals(options);
  const { verifier, policy } = options;
  return async (metadata: Metadata, method: DescMethod, transport: CallTransport) => {
    const rpc = `${method.parent.typeName}/${method.name}`;
    // Before a token is verified the caller is known only by its connection: the client
    // certificate on mutual TLS, else the address. Only failed attempts are checked against that
    // count, so callers with valid tokens behind one NAT or gateway are never blocked for another's.
    const peerKey = transport.certificate
      ? `certificate:${transport.certificate.thumbprint}`
      : `peer:${transport.peer.replace(/:\d+$/, '')}`;
    const refuse = async (
      outcome: 'unauthenticated' | 'denied',
      reason: string,
      key: string,
      caller: Record<string, unknown>,
      error: RpcError,
    ): Promise<never> => {
      await refusals.record(rpc, key, outcome, reason, caller);
      throw error;
    };

    const token = bearer(metadata);
    if (!token) {
      await refusals.check(rpc, peerKey);
      return refuse(
        'unauthenticated',
        'MISSING_TOKEN',
        peerKey,
        {},
        unauthenticated('a bearer token is required', { reason: 'MISSING_TOKEN' }),
      );
    }
    let principal: Principal;
    try {
      principal = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      await refusals.check(rpc, peerKey);
      return refuse(
        'unauthenticated',
        error.reason,
        peerKey,
        {},
        unauthenticated('the token is invalid, expired or not for this service', { reason: 'INVALID_TOKEN' }),
      );
    }
    const key = callerKey(principal);
    const caller = callerFields(principal);
    await refusals.check(rpc, key);

    const certified = certificateSubject(transport);
    if (transport.certificate && principal.kind !== 'person' && certified !== principal.subject) {
      return refuse(
        'unauthenticated',
        'CERTIFICATE_MISMATCH',
        key,
        caller,
        unauthenticated('the client certificate does not belong to the token’s subject', {
          reason: 'CERTIFICATE_MISMATCH',
        }),
      );
    }

    const stationHeader = metadata.get(STATION_TOKEN_HEADER)[0];
    if (typeof stationHeader === 'string' && stationHeader !== '') {
      let station: Principal | undefined;
      try {
        station = await verifier.verify(stationHeader);
      } catch (error) {
        if (!(error instanceof TokenRefused)) throw error;
      }
      if (
        !station ||
        station.kind !== 'station' ||
        principal.kind !== 'person' ||
        !station.roles.includes('enrollment-station')
      ) {
        return refuse(
          'unauthenticated',
          'BAD_STATION_TOKEN',
          key,
          caller,
          unauthenticated(
            `the ${STATION_TOKEN_HEADER} token is invalid, expired or not an enrollment station’s`,
            { reason: 'BAD_STATION_TOKEN' },
          ),
        );
      }
      principal = { ...principal, station: station.station };
    }

    const grant = policy.grantFor(method, principal);
    if (!grant) {
      const reason = policy.ruleFor(method) ? 'NOT_ALLOWED' : 'NO_RULE';
      return refuse('denied', reason, key, caller, notAllowed(method, reason));
    }
    return { ...principal, grant };
  };
}

/** PERMISSION_DENIED for a caller acting outside its limit, after the refusal is recorded. */
export async function refuseOutsideLimit(
  refusals: Refusals,
  rpc: string,
  principal: Principal,
  reason: string,
  message: string,
): Promise<never> {
  await refusals.outsideLimit(rpc, principal, reason);
  throw permissionDenied(message, { reason });
}
