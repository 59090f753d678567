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
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const traceparent = first('traceparent');
  return {
    actor: call.principal.actor,
    traceparent:
      traceparent && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent)
        ? traceparent
        : undefined,
  };
}
