import type { Authorized } from '@cancuoc/auth';
import { permissionDenied, type CallContext } from '@cancuoc/grpc';
import type { CommandContext } from '../../application/idempotency.js';
import type { StationContext, Viewer } from '../../application/enrollment.js';
import { checkIdempotencyKey } from './request-checks.js';

/**
 * Who calls, as the guard of @cancuoc/auth let them through: the verified token's principal and the
 * grant of the platform policy it matched. Roles are checked there, before any handler runs; the
 * handlers only apply the grant's limit (`own-station`: an operator, signed in at a station by the
 * station's own verified `x-station-token`, acts only on that station's applications).
 */
export type EnrollmentCall = CallContext<Authorized>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function commandContext(call: EnrollmentCall): CommandContext {
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const correlationId = first('x-correlation-id');
  const idempotencyKey = first('idempotency-key');
  checkIdempotencyKey(idempotencyKey);
  return {
    actor: call.principal.actor,
    idempotencyKey,
    correlationId: correlationId && UUID.test(correlationId) ? correlationId : undefined,
    // No traceparent from the request's headers: the server span continues the caller's trace
    // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
    // client span, unchecked) would make consumers skip both.
  };
}

/**
 * The station a caller under an `own-station` grant is signed in at. The policy's grant demands
 * one (`atStation`), so its absence here is a policy that no longer does: refused, never widened.
 */
function ownStation(call: EnrollmentCall): string {
  const station = call.principal.station;
  if (!station) {
    throw permissionDenied(
      'this call must come from an enrollment station: send its token in x-station-token',
      {
        reason: 'STATION_REQUIRED',
      },
    );
  }
  return station;
}

/** An operator at a station: the station comes from the station's own verified token. */
export function atStation(call: EnrollmentCall): StationContext {
  return { ...commandContext(call), stationId: ownStation(call) };
}

/** Whom the caller may see: within its own station under `own-station`, every station otherwise. */
export function viewer(call: EnrollmentCall): Viewer {
  const stationId = call.principal.grant.limit === 'own-station' ? ownStation(call) : null;
  return { actor: call.principal.actor, stationId };
}
