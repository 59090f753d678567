import type { Grant } from './policy.js';

/** The grants the platform's rules are written from; each names a caller kind, roles and a limit. */

/** A register clerk (cán bộ hộ tịch), within their administrative unit unless `national`. */
export const clerk: Grant = { kind: 'person', roles: ['clerk'], limit: 'jurisdiction' };
/** A platform administrator: operations, card production, agency subscriptions. */
export const administrator: Grant = { kind: 'person', roles: ['admin'], limit: 'none' };
/** An enrollment operator, signed in at an enrollment station: only that station's applications. */
export const operatorAtStation: Grant = {
  kind: 'person',
  roles: ['operator'],
  atStation: true,
  limit: 'own-station',
};
/** An enrollment supervisor: reviews applications of every station. */
export const supervisor: Grant = { kind: 'person', roles: ['supervisor'], limit: 'none' };
/** A chip-encoding station: only the jobs it holds the lease of. */
export const encodingStation: Grant = { kind: 'station', roles: ['encoding-station'], limit: 'own-station' };
/** A ministry or agency: only its own subscription, for its stated purpose. */
export const agency: Grant = { kind: 'agency', roles: ['agency'], limit: 'own-agency' };
/** Another Cancuoc service, named: service-to-service reads. */
export const service = (...services: string[]): Grant => ({ kind: 'service', services, limit: 'none' });
/** Anyone who checks cards (stations, agencies, services, administrators): public reference data. */
export const relyingParties: readonly Grant[] = [
  administrator,
  encodingStation,
  agency,
  { kind: 'service', limit: 'none' },
];
