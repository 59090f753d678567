import type { Authorized } from '@cancuoc/auth';
import { permissionDenied, type CallContext } from '@cancuoc/grpc';

/**
 * Who may call which RPC is the platform policy's (`platformPolicy` in @cancuoc/auth): the guard
 * refuses every other caller before a handler runs. What is left here is the principal's own claims
 * that the handlers act with.
 */

/**
 * The agency a call is from: the `agency` claim of its token (an agency's client registration at
 * the OpenID provider), the only thing that selects the subscription it reads through — no request
 * field names an agency or a subscription. The grant is `own-agency`: its subscription, its purpose.
 */
export function agencyOf(call: CallContext<Authorized>): string {
  const agency = call.principal.agency;
  // The guard only lets agency tokens through, and an agency token without the claim is refused
  // as invalid; this is the type's undefined, never expected.
  if (call.principal.kind !== 'agency' || agency === undefined)
    throw permissionDenied('the caller is not an agency', { reason: 'NOT_AN_AGENCY' });
  return agency;
}

/** The administrator acting (the policy let only `admin` through): the token's subject. */
export function administrator(call: CallContext<Authorized>): string {
  return call.principal.actor;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who acts and the request's correlation, for event metadata. */
export function adminContext(call: CallContext<Authorized>) {
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
