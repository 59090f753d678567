import { randomUUID } from 'node:crypto';
import { toJson } from '@bufbuild/protobuf';
import { identities, type Identity } from '@cancuoc/auth';
import { datasharing, partner } from '@cancuoc/proto';
import { CliFailure } from '../cli/command.js';
import type { Connection } from '../cli/connection.js';
import { until } from './pool.js';

const F = partner.CitizenField;

/** Which member of `PartnerCitizen` carries each field of the catalogue. */
const MEMBER: Readonly<
  Record<Exclude<partner.CitizenField, partner.CitizenField.UNSPECIFIED>, keyof partner.PartnerCitizen>
> = {
  [F.PERSONAL_ID]: 'personalId',
  [F.NAME]: 'name',
  [F.BIRTH_DATE]: 'birthDate',
  [F.SEX]: 'sex',
  [F.NATIONALITY]: 'nationality',
  [F.ETHNICITY]: 'ethnicity',
  [F.RELIGION]: 'religion',
  [F.HOME_TOWN]: 'homeTown',
  [F.BIRTH_PLACE]: 'birthPlace',
  [F.PERMANENT_RESIDENCE]: 'permanentResidence',
  [F.TEMPORARY_RESIDENCE]: 'temporaryResidence',
  [F.MARITAL_STATUS]: 'maritalStatus',
  [F.PARENTS]: 'parents',
  [F.SPOUSE]: 'spouse',
  [F.VITAL_STATUS]: 'vitalStatus',
  [F.LAST_VERIFIED]: 'lastVerified',
  [F.CARD]: 'card',
  [F.BIOMETRIC_REFERENCES]: 'biometricReferences',
};

/** The catalogue fields a record carries (explicit presence: absent means "not yours"). */
export function presentFields(citizen: partner.PartnerCitizen): partner.CitizenField[] {
  return (Object.entries(MEMBER) as [string, keyof partner.PartnerCitizen][])
    .filter(([, member]) => citizen[member] !== undefined)
    .map(([field]) => Number(field) as partner.CitizenField)
    .sort((a, b) => a - b);
}

/** `CITIZEN_FIELD_NAME` → `name`, as in the data-sharing README's catalogue. */
export const fieldName = (field: partner.CitizenField) => partner.CitizenField[field]!.toLowerCase();

export interface AgencyTerms {
  readonly agency: string;
  readonly agencyName: string;
  readonly purpose: string;
  readonly fields: readonly partner.CitizenField[];
  readonly delivery: datasharing.Delivery;
}

/** The demo's agency: social insurance, which may see who someone is and their card, nothing more. */
export const DEMO_AGENCY: AgencyTerms = {
  agency: 'demo-bhxh',
  agencyName: 'Bảo hiểm xã hội (demo)',
  purpose: 'social-insurance-enrolment',
  fields: [F.NAME, F.BIRTH_DATE, F.CARD],
  delivery: datasharing.Delivery.KAFKA_AND_GRPC,
};

/** The two administrators of a subscription: one requests it, another approves it (four eyes). */
export const SUBSCRIPTION_ADMINISTRATORS: readonly [Identity, Identity] = [
  identities.administrator('demo-requester'),
  identities.administrator('demo-approver'),
];

/**
 * A live subscription for `terms`: the one the agency already has, or a new one requested by one
 * administrator and approved by a second (four eyes). Resolves once approved.
 */
export async function ensureSubscription(
  connection: Connection,
  terms: AgencyTerms,
): Promise<datasharing.Subscription> {
  const [requesting, approving] = SUBSCRIPTION_ADMINISTRATORS;
  const requester = connection.client(datasharing.SubscriptionService, 'data-sharing', requesting);
  const approver = connection.client(datasharing.SubscriptionService, 'data-sharing', approving);
  const { subscriptions } = await requester.listSubscriptions({ agency: terms.agency });
  const live = subscriptions.find((s) => s.status !== datasharing.SubscriptionStatus.REVOKED);
  let subscription = live;
  if (!subscription) {
    ({ subscription } = await requester.requestSubscription(
      {
        agency: terms.agency,
        agencyName: terms.agencyName,
        purpose: terms.purpose,
        purposeDescription: 'Cancuoc demo: who is insured, and their identity card',
        legalBasis: 'Luật Bảo hiểm xã hội 2024, Điều 11 (demo)',
        terms: { fields: [...terms.fields], scope: {}, delivery: terms.delivery },
      },
      { idempotencyKey: randomUUID() },
    ));
  }
  if (subscription!.status === datasharing.SubscriptionStatus.REQUESTED) {
    ({ subscription } = await approver.approveSubscription(
      { subscriptionId: subscription!.subscriptionId },
      { idempotencyKey: randomUUID() },
    ));
  }
  if (subscription!.status !== datasharing.SubscriptionStatus.APPROVED)
    throw new CliFailure(
      `the subscription of ${terms.agency} is ${datasharing.SubscriptionStatus[subscription!.status]}, not approved`,
    );
  if (subscription!.purpose !== terms.purpose)
    throw new CliFailure(`${terms.agency} already subscribes for another purpose (${subscription!.purpose})`);
  return subscription!;
}

/** Reads what the agency sees of these citizens over AgencyQueryService, 100 per call. */
export async function agencyView(
  connection: Connection,
  agency: string,
  purpose: string,
  citizenIds: readonly string[],
): Promise<Map<string, partner.PartnerCitizen | undefined>> {
  const client = connection.client(datasharing.AgencyQueryService, 'data-sharing', identities.agency(agency));
  const out = new Map<string, partner.PartnerCitizen | undefined>();
  for (let at = 0; at < citizenIds.length; at += 100) {
    const ids = citizenIds.slice(at, at + 100);
    const { results } = await client.batchGetCitizens({
      purpose,
      citizens: ids.map((id) => ({ key: { case: 'citizenId', value: id } })),
    });
    ids.forEach((id, i) => out.set(id, results[i]?.citizen));
  }
  return out;
}

/** Waits until the agency sees every one of these citizens with a card, then returns the view. */
export async function agencyReceivedCards(
  connection: Connection,
  terms: Pick<AgencyTerms, 'agency' | 'purpose'>,
  citizenIds: readonly string[],
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<Map<string, partner.PartnerCitizen | undefined>> {
  return until(
    () => agencyView(connection, terms.agency, terms.purpose, citizenIds),
    (view) => [...view.values()].every((c) => c?.card?.current?.documentNumber),
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 500,
      signal: options.signal,
      onTimeout: () => new CliFailure(`${terms.agency} did not receive every card in time`),
    },
  );
}

/** A record as JSON, only its present fields (what the agency holds). */
export const agencyRecordJson = (citizen: partner.PartnerCitizen) =>
  toJson(partner.PartnerCitizenSchema, citizen) as Record<string, unknown>;
