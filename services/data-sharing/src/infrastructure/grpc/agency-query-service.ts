import {
  defineService,
  invalidArgument,
  type Authenticator,
  type CallContext,
  type Caller,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { datasharing, partner } from '@cancuoc/proto';
import type {
  AgencyCall,
  AgencyQueries,
  CitizenKey,
  ClaimedIdentity,
} from '../../application/agency-queries.js';
import { partnerCitizen } from '../partner/codec.js';
import { agencyOf } from './callers.js';
import { guarded } from './errors.js';

function key(k: datasharing.CitizenKey | undefined, field: string): CitizenKey {
  if (k?.key.case === 'citizenId') return { citizenId: k.key.value };
  if (k?.key.case === 'personalId') return { personalId: k.key.value };
  throw invalidArgument([
    { field, reason: 'REQUIRED', description: 'name the citizen by citizen id or personal id' },
  ]);
}

function agencyCall(
  call: CallContext<Caller>,
  request: { purpose: string; consistency?: datasharing.ReadConsistency | undefined },
): AgencyCall {
  const agency = agencyOf(call);
  if (request.purpose === '')
    throw invalidArgument([
      { field: 'purpose', reason: 'REQUIRED', description: 'state the subscription’s purpose' },
    ]);
  return {
    agency,
    purpose: request.purpose,
    minPosition: request.consistency?.minPosition,
    deadline: call.deadline,
  };
}

const SEX: Partial<Record<partner.Sex, ClaimedIdentity['sex']>> = {
  [partner.Sex.MALE]: 'male',
  [partner.Sex.FEMALE]: 'female',
};

function claimed(c: datasharing.ClaimedIdentity | undefined): ClaimedIdentity {
  if (c?.sex !== undefined && SEX[c.sex] === undefined)
    throw invalidArgument([
      { field: 'claimed.sex', reason: 'INVALID_VALUE', description: 'SEX_MALE or SEX_FEMALE' },
    ]);
  return {
    fullName: c?.fullName,
    birthDate: c?.birthDate,
    sex: c?.sex === undefined ? undefined : SEX[c.sex],
    nationality: c?.nationality,
    cardDocumentNumber: c?.cardDocumentNumber,
  };
}

/** `cancuoc.datasharing.v1.AgencyQueryService`: every RPC for the role `agency`, as `agency:<code>`. */
export function agencyQueryService(
  queries: AgencyQueries,
  authenticate: Authenticator<Caller>,
): ServiceRegistration {
  return defineService(
    datasharing.AgencyQueryService,
    { authenticate },
    {
      getCitizen: async (request, call) =>
        guarded(async () => {
          const { disclosure, position } = await queries.getCitizen(
            agencyCall(call, request),
            key(request.citizen, 'citizen'),
          );
          return { citizen: partnerCitizen(disclosure), position };
        }),
      batchGetCitizens: async (request, call) =>
        guarded(async () => {
          const keys = request.citizens.map((k, i) => key(k, `citizens[${i}]`));
          const { disclosures, position } = await queries.batchGet(agencyCall(call, request), keys);
          return {
            results: disclosures.map((d) => ({ citizen: d ? partnerCitizen(d) : undefined })),
            position,
          };
        }),
      verifyIdentity: async (request, call) =>
        guarded(async () => {
          const { match, position } = await queries.verify(
            agencyCall(call, request),
            request.personalId,
            claimed(request.claimed),
          );
          return { match, position };
        }),
    },
  );
}
