import type { MessageInitShape } from '@bufbuild/protobuf';
import { datasharing } from '@cancuoc/proto';
import type { SubscriptionView } from '../../application/subscriptions.js';
import { CITIZEN_FIELDS, FIELD_CATALOGUE } from '../../domain/catalogue/fields.js';
import type { SubscriptionStatus } from '../../domain/subscription/state.js';
import {
  nameMatchingOf,
  resolvedProvinces,
  type Delivery,
  type NameMatching,
  type Terms,
  type TermsInput,
} from '../../domain/subscription/terms.js';
import { fieldFromProto, FIELD_TO_PROTO } from '../partner/fields.js';

const DELIVERY: Record<Delivery, datasharing.Delivery> = {
  kafka: datasharing.Delivery.KAFKA,
  grpc: datasharing.Delivery.GRPC,
  'kafka-and-grpc': datasharing.Delivery.KAFKA_AND_GRPC,
};
const DELIVERY_FROM_PROTO: Partial<Record<datasharing.Delivery, Delivery>> = {
  [datasharing.Delivery.KAFKA]: 'kafka',
  [datasharing.Delivery.GRPC]: 'grpc',
  [datasharing.Delivery.KAFKA_AND_GRPC]: 'kafka-and-grpc',
};
const NAME_MATCHING: Record<NameMatching, datasharing.NameMatching> = {
  exact: datasharing.NameMatching.EXACT,
  loose: datasharing.NameMatching.LOOSE,
};
/** UNSPECIFIED is exact; a number the contract does not define stays unknown, for the decider to refuse. */
const nameMatchingFromProto = (m: datasharing.NameMatching): string =>
  m === datasharing.NameMatching.UNSPECIFIED || m === datasharing.NameMatching.EXACT
    ? 'exact'
    : m === datasharing.NameMatching.LOOSE
      ? 'loose'
      : `unknown-${m}`;
const STATUS: Record<SubscriptionStatus, datasharing.SubscriptionStatus> = {
  requested: datasharing.SubscriptionStatus.REQUESTED,
  approved: datasharing.SubscriptionStatus.APPROVED,
  suspended: datasharing.SubscriptionStatus.SUSPENDED,
  revoked: datasharing.SubscriptionStatus.REVOKED,
};

/** A field number the catalogue does not know stays unknown, so the decider reports it. */
const fieldName = (f: number) => fieldFromProto(f) ?? `unknown-${f}`;

export function termsInput(terms: datasharing.SubscriptionTerms | undefined): TermsInput {
  return {
    fields: (terms?.fields ?? []).map(fieldName),
    sensitiveBases: (terms?.sensitiveFieldBases ?? []).map((b) => ({
      field: fieldName(b.field),
      legalBasis: b.legalBasis,
    })),
    scope: {
      provinceCodes: terms?.scope?.provinceCodes ?? [],
      aliveOnly: terms?.scope?.aliveOnly ?? false,
      minAge: terms?.scope?.minAge ?? null,
      maxAge: terms?.scope?.maxAge ?? null,
    },
    delivery:
      !terms || terms.delivery === datasharing.Delivery.UNSPECIFIED
        ? undefined
        : (DELIVERY_FROM_PROTO[terms.delivery] ?? `unknown-${terms.delivery}`),
    nameMatching: nameMatchingFromProto(terms?.nameMatching ?? datasharing.NameMatching.UNSPECIFIED),
  };
}

function termsMessage(terms: Terms): MessageInitShape<typeof datasharing.SubscriptionTermsSchema> {
  return {
    fields: terms.fields.map((f) => FIELD_TO_PROTO[f]),
    sensitiveFieldBases: terms.sensitiveBases.map((b) => ({
      field: FIELD_TO_PROTO[b.field],
      legalBasis: b.legalBasis,
    })),
    scope: {
      provinceCodes: [...terms.scope.provinceCodes],
      aliveOnly: terms.scope.aliveOnly,
      minAge: terms.scope.minAge ?? undefined,
      maxAge: terms.scope.maxAge ?? undefined,
    },
    delivery: DELIVERY[terms.delivery],
    nameMatching: NAME_MATCHING[nameMatchingOf(terms)],
  };
}

export function subscriptionMessage(
  view: SubscriptionView,
): MessageInitShape<typeof datasharing.SubscriptionSchema> {
  const s = view.subscription;
  return {
    subscriptionId: s.subscriptionId,
    agency: s.agency,
    agencyName: s.agencyName,
    purpose: s.purpose,
    purposeDescription: s.purposeDescription,
    legalBasis: s.legalBasis,
    terms: termsMessage(s.terms),
    resolvedProvinceCodes: resolvedProvinces(s.terms.scope),
    status: STATUS[s.status],
    requestedBy: s.requestedBy,
    requestedAt: s.requestedAt,
    approvedBy: s.approvedBy ?? '',
    approvedAt: s.approvedAt ?? '',
    statusChangedBy: s.statusChangedBy ?? '',
    statusReason: s.statusReason ?? '',
    pendingChange: s.pendingChange
      ? {
          terms: termsMessage(s.pendingChange.terms),
          proposedBy: s.pendingChange.proposedBy,
          proposedAt: s.pendingChange.proposedAt,
          reason: s.pendingChange.reason,
        }
      : undefined,
    version: BigInt(view.version),
    deliveryState: {
      topicsReady: view.delivery.topicsReady,
      queued: BigInt(view.delivery.queued),
      backfilled: BigInt(view.delivery.backfill?.processed ?? 0),
      backfillTotal: BigInt(view.delivery.backfill?.total ?? 0),
      backfillDone: view.delivery.backfill?.done ?? false,
    },
  };
}

export function catalogueMessage(): MessageInitShape<typeof datasharing.ListCitizenFieldsResponseSchema> {
  return {
    fields: CITIZEN_FIELDS.map((f) => ({
      field: FIELD_TO_PROTO[f],
      name: f,
      description: FIELD_CATALOGUE[f].description,
      sensitive: FIELD_CATALOGUE[f].sensitive,
    })),
  };
}
