import { bearerFor, identities, STATION_TOKEN_HEADER, type DevelopmentIssuer } from '@cancuoc/auth';

/**
 * Request headers of the platform's callers, with tokens from the test's development issuer — the
 * same JWTs an OpenID provider issues in server mode, checked by the same guard and policy.
 */

/** An operator signed in at a station: the operator's token and, in `x-station-token`, the station's. */
export async function atStation(
  issuer: DevelopmentIssuer,
  operator: string,
  station: string,
): Promise<Record<string, string>> {
  return {
    ...(await bearerFor(issuer, identities.operator(operator), 'enrollment')),
    [STATION_TOKEN_HEADER]: await stationToken(issuer, station),
  };
}

/** An enrollment station's own token, as it goes in `x-station-token` (no `Bearer`). */
export function stationToken(
  issuer: DevelopmentIssuer,
  station: string,
  audience = 'enrollment',
): Promise<string> {
  return issuer.mint({ ...identities.enrollmentStation(station), audience });
}

export function asSupervisor(issuer: DevelopmentIssuer, staff: string): Promise<Record<string, string>> {
  return bearerFor(issuer, identities.supervisor(staff), 'enrollment');
}

export function asAdministrator(issuer: DevelopmentIssuer, staff: string): Promise<Record<string, string>> {
  return bearerFor(issuer, identities.administrator(staff), 'enrollment');
}

export function asService(
  issuer: DevelopmentIssuer,
  service: string,
  audience = 'enrollment',
): Promise<Record<string, string>> {
  return bearerFor(issuer, identities.service(service), audience);
}

/** A clerk with national jurisdiction at the registry: registers the tests' citizens anywhere. */
export function asClerk(issuer: DevelopmentIssuer): Promise<Record<string, string>> {
  return bearerFor(issuer, identities.clerk('test-001', '01', { national: true }), 'registry');
}
