import { permissionDenied, requireRole, type CallContext, type Caller } from '@cancuoc/grpc';

/** The agency a call is from: a token for `agency:<code>` with the role `agency`. */
export function agencyOf(call: CallContext<Caller>): string {
  requireRole(call.principal, 'agency');
  const match = /^agency:([a-z][a-z0-9-]{1,39})$/.exec(call.principal.actor);
  if (!match) throw permissionDenied('the caller is not an agency', { reason: 'NOT_AN_AGENCY' });
  return match[1]!;
}

/** A platform administrator: the role `admin`. */
export function administrator(call: CallContext<Caller>): string {
  requireRole(call.principal, 'admin');
  return call.principal.actor;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who acts and the request's correlation, for event metadata. */
export function adminContext(call: CallContext<Caller>) {
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const correlationId = first('x-correlation-id');
  return {
    actor: administrator(call),
    correlationId: correlationId && UUID.test(correlationId) ? correlationId : undefined,
    // No traceparent from the request's headers: the server span continues the caller's trace
    // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
    // client span) would make consumers skip both.
  };
}
