import { signToken } from '@cancuoc/grpc';

/** Headers of an operator logged in at a station: the operator's token and the station's. */
export function atStation(secret: string, operator: string, station: string): Record<string, string> {
  return {
    authorization: `Bearer ${signToken(secret, { sub: `operator:${operator}`, aud: 'enrollment', roles: ['operator'] })}`,
    'x-station-token': signToken(secret, {
      sub: `station:${station}`,
      aud: 'enrollment',
      roles: ['enrollment-station'],
    }),
  };
}

export function asSupervisor(secret: string, staff: string): Record<string, string> {
  return {
    authorization: `Bearer ${signToken(secret, { sub: `supervisor:${staff}`, aud: 'enrollment', roles: ['supervisor'] })}`,
  };
}

export function asService(secret: string, service: string, audience = 'enrollment'): Record<string, string> {
  return {
    authorization: `Bearer ${signToken(secret, { sub: `service:${service}`, aud: audience, roles: ['service'] })}`,
  };
}

export function asClerk(secret: string): Record<string, string> {
  return { authorization: `Bearer ${signToken(secret, { sub: 'clerk:test-001', aud: 'registry' })}` };
}
