import type { Authorized, ServiceAuth } from '@cancuoc/auth';
import { defineService, invalidArgument, type CallContext, type ServiceRegistration } from '@cancuoc/grpc';
import { datasharing, partner } from '@cancuoc/proto';
import type {
  AgencyCall,
  AgencyQueries,
  CitizenKey,
  ClaimedIdentity,
} from '../../application/agency-queries.js';
import { AgencyRefusedError } from '../../application/errors.js';
import { partnerCitizen } from '../partner/codec.js';
import { agencyOf } from './callers.js';
import { toRpcError } from './errors.js';

function key(k: datasharing.CitizenKey | undefined, field: string): CitizenKey {
  if (k?.key.case === 'citizenId') return { citizenId: k.key.value };
  if (k?.key.case === 'personalId') return { personalId: k.key.value };
  throw invalidArgument([
    { field, reason: 'REQUIRED', description: 'name the citizen by citizen id or personal id' },
  ]);
}

function agencyCall(
  call: CallContext<Authorized>,
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

/**
 * `cancuoc.datasharing.v1.AgencyQueryService`: agencies only (the platform policy's `own-agency`
 * grant), each through its own subscription — the one of the token's `agency` claim — and for its
 * purpose. A call outside it (no active subscription, another purpose, a field or a channel the
 * subscription does not allow) is PERMISSION_DENIED for a reason that depends on the caller's own
 * subscription alone, and counts among the caller's refusals (metric, `auth.refused` log line, the
 * per-caller block) like a call the policy refused.
 */
export function agencyQueryService(
  queries: AgencyQueries,
  auth: Pick<ServiceAuth, 'authenticate' | 'refusals'>,
): ServiceRegistration {
  const guarded = async <T>(call: CallContext<Authorized>, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AgencyRefusedError) {
        await auth.refusals.outsideLimit(
          `${call.method.parent.typeName}/${call.method.name}`,
          call.principal,
          error.reason,
        );
      }
      throw toRpcError(error);
    }
  };
  return defineService(
    datasharing.AgencyQueryService,
    { authenticate: auth.authenticate },
    {
      getCitizen: async (request, call) =>
        guarded(call, async () => {
          const { disclosure, position } = await queries.getCitizen(
            agencyCall(call, request),
            key(request.citizen, 'citizen'),
          );
          return { citizen: partnerCitizen(disclosure), position };
        }),
      batchGetCitizens: async (request, call) =>
        guarded(call, async () => {
          const keys = request.citizens.map((k, i) => key(k, `citizens[${i}]`));
          const { disclosures, position } = await queries.batchGet(agencyCall(call, request), keys);
          return {
            results: disclosures.map((d) => ({ citizen: d ? partnerCitizen(d) : undefined })),
            position,
          };
        }),
      verifyIdentity: async (request, call) =>
        guarded(call, async () => {
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
