import {
  bearerAuthenticator,
  permissionDenied,
  requireRole,
  unauthenticated,
  verifyToken,
  type Authenticator,
  type CallContext,
  type Caller,
} from '@cancuoc/grpc';
import type { CommandContext } from '../../application/idempotency.js';
import type { StationContext, Viewer } from '../../application/enrollment.js';

/** The header carrying the enrollment station's own token, beside the operator's `authorization`. */
export const STATION_TOKEN_HEADER = 'x-station-token';

/** Who calls: the staff member or service (`actor`, `roles`) and, from a station, which machine. */
export interface EnrollmentCaller extends Caller {
  readonly stationId: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Two proofs for a station call: the operator's token (who) and the station's (where). The station
 * token is the machine's credential, issued to the device; the operator's is issued at login. A
 * stolen operator token alone cannot enroll, and a station cannot act without a person logged in.
 * Both are signed for audience `enrollment`.
 */
export function enrollmentAuthenticator(secret: string): Authenticator<EnrollmentCaller> {
  const staff = bearerAuthenticator(secret, 'enrollment');
  return async (metadata, method) => {
    const caller = await staff(metadata, method);
    const header = metadata.get(STATION_TOKEN_HEADER)[0];
    if (header === undefined || header === '') return { ...caller, stationId: undefined };
    const claims = typeof header === 'string' ? verifyToken(secret, header, 'enrollment') : undefined;
    if (
      !claims ||
      !claims.sub.startsWith('station:') ||
      !(claims.roles ?? []).includes('enrollment-station')
    ) {
      throw unauthenticated('the station token is invalid, expired or not an enrollment station’s');
    }
    return { ...caller, stationId: claims.sub.slice('station:'.length) };
  };
}

export function commandContext(call: CallContext<EnrollmentCaller>): CommandContext {
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const correlationId = first('x-correlation-id');
  return {
    actor: call.principal.actor,
    idempotencyKey: first('idempotency-key'),
    correlationId: correlationId && UUID.test(correlationId) ? correlationId : undefined,
    // No traceparent from the request's headers: the server span continues the caller's trace
    // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
    // client span, unchecked) would make consumers skip both.
  };
}

const stationRequired = () =>
  permissionDenied(
    `this call must come from an enrollment station: send its token in ${STATION_TOKEN_HEADER}`,
    {
      reason: 'STATION_REQUIRED',
    },
  );

/** An operator at a station: both tokens. */
export function atStation(call: CallContext<EnrollmentCaller>): StationContext {
  requireRole(call.principal, 'operator');
  if (!call.principal.stationId) throw stationRequired();
  return { ...commandContext(call), stationId: call.principal.stationId };
}

export function supervisor(call: CallContext<EnrollmentCaller>): CommandContext {
  requireRole(call.principal, 'supervisor');
  return commandContext(call);
}

/** Supervisors see every station; operators only the station they are logged in at. */
export function viewer(call: CallContext<EnrollmentCaller>): Viewer {
  requireRole(call.principal, 'operator', 'supervisor');
  if (call.principal.roles.includes('supervisor')) return { actor: call.principal.actor, stationId: null };
  if (!call.principal.stationId) throw stationRequired();
  return { actor: call.principal.actor, stationId: call.principal.stationId };
}
