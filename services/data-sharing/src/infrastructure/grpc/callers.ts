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
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Who acts and the request's correlation, for event metadata. */
export function adminContext(call: CallContext<Caller>) {
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const correlationId = first('x-correlation-id');
  const traceparent = first('traceparent');
  return {
    actor: administrator(call),
    correlationId: correlationId && UUID.test(correlationId) ? correlationId : undefined,
    traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : undefined,
  };
}
