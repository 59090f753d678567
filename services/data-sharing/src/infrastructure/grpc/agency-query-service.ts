import type { Authorized, ServiceAuth } from '@cancuoc/auth';
import { defineService, invalidArgument, type CallContext, type ServiceRegistration } from '@cancuoc/grpc';
import { datasharing, partner } from '@cancuoc/proto';
import {
  MAX_BATCH,
  type AgencyCall,
  type AgencyQueries,
  type CitizenKey,
  type ClaimedIdentity,
} from '../../application/agency-queries.js';
import { AgencyRefusedError } from '../../application/errors.js';
import { PURPOSE } from '../../domain/subscription/decider.js';
import { partnerCitizen } from '../partner/codec.js';
import { agencyOf } from './callers.js';
import { toRpcError } from './errors.js';

/** The projection position a read may ask for: positions are PostgreSQL bigints. */
const MAX_POSITION = 9_223_372_036_854_775_807n;

function key(k: datasharing.CitizenKey | undefined, field: string): CitizenKey {
  if (k?.key.case === 'citizenId') return { citizenId: k.key.value };
  if (k?.key.case === 'personalId') return { personalId: k.key.value };
  throw invalidArgument([
    { field, reason: 'REQUIRED', description: 'name the citizen by citizen id or personal id' },
  ]);
}

/**
 * Who asks and for what: the purpose a subscription's purpose code could be, the position a
 * read could reach. Checked before anything is counted or read.
 */
function agencyCall(
  call: CallContext<Authorized>,
  request: { purpose: string; consistency?: datasharing.ReadConsistency | undefined },
): AgencyCall {
  const agency = agencyOf(call);
  const violations = [];
  if (request.purpose === '')
    violations.push({
      field: 'purpose',
      reason: 'REQUIRED',
      description: 'state the subscription’s purpose',
    });
  else if (!PURPOSE.test(request.purpose))
    violations.push({
      field: 'purpose',
      reason: 'INVALID_FORMAT',
      description: 'a purpose code: 3 to 64 of a–z, 0–9 and -, starting with a letter',
    });
  const minPosition = request.consistency?.minPosition;
  if (minPosition !== undefined && minPosition > MAX_POSITION)
    violations.push({
      field: 'consistency.min_position',
      reason: 'OUT_OF_RANGE',
      description: `a position from 0 to ${MAX_POSITION}`,
    });
  if (violations.length > 0) throw invalidArgument(violations);
  return { agency, purpose: request.purpose, minPosition, deadline: call.deadline };
}

const SEX: Partial<Record<partner.Sex, ClaimedIdentity['sex']>> = {
  [partner.Sex.MALE]: 'male',
  [partner.Sex.FEMALE]: 'female',
};

function claimed(c: datasharing.ClaimedIdentity | undefined): ClaimedIdentity {
  if (c?.sex !== undefined && SEX[c.sex] === undefined)
    throw invalidArgument([
      {
        field: 'claimed.sex',
        reason: c.sex === partner.Sex.UNSPECIFIED ? 'REQUIRED' : 'INVALID_VALUE',
        description: 'SEX_MALE or SEX_FEMALE',
      },
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
          if (request.citizens.length === 0 || request.citizens.length > MAX_BATCH)
            throw invalidArgument([
              {
                field: 'citizens',
                reason: 'OUT_OF_RANGE',
                description: `1 to ${MAX_BATCH} citizens per batch`,
              },
            ]);
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
