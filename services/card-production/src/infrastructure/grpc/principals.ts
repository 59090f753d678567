import type { Authorized } from '@cancuoc/auth';
import type { CallContext } from '@cancuoc/grpc';

/**
 * The station calling. The policy let only an encoding station's token through (kind `station`,
 * role `encoding-station`, a `station` claim: the guard refused anything else before the handler),
 * under the grant's limit `own-station`: it acts on its own leases only, which the reports check.
 */
export function stationOf(call: CallContext<Authorized>): string {
  return call.principal.station!;
}

export function contextOf(call: CallContext<Authorized>) {
  // No traceparent from the request's headers: the server span continues the caller's trace
  // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
  // client span) would make consumers skip both.
  return { actor: call.principal.actor };
}
