import { permissionDenied, requireRole, type CallContext, type Caller } from '@cancuoc/grpc';

const STATION = /^station:([A-Za-z0-9._-]{1,64})$/;

/** The station calling: role `encoding-station` and a subject `station:<id>`. */
export function stationOf(call: CallContext<Caller>): string {
  requireRole(call.principal, 'encoding-station');
  const match = STATION.exec(call.principal.actor);
  if (!match) throw permissionDenied('the token does not name a station', { reason: 'NOT_A_STATION' });
  return match[1]!;
}

export function contextOf(call: CallContext<Caller>) {
  // No traceparent from the request's headers: the server span continues the caller's trace
  // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
  // client span) would make consumers skip both.
  return { actor: call.principal.actor };
}
