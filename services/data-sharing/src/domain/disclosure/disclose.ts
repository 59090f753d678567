import { ageAt, CalendarDate } from '@cancuoc/identity';
import type { CitizenField } from '../catalogue/fields.js';
import type {
  AddressFacts,
  BiometricReferenceFacts,
  CardFacts,
  MaritalStatusFacts,
  NameFacts,
  RecordFacts,
  SexFacts,
} from '../citizen/facts.js';
import { currentCard, currentEnrolment, type ProjectedCitizen } from '../citizen/projected-citizen.js';
import { resolvedProvinces, type Scope, type Terms } from '../subscription/terms.js';
import { currentProvinceOf } from '../units/current-province.js';

export interface ResidenceValue {
  readonly address: AddressFacts | null;
  readonly currentProvinceCode: string | null;
}

/** The card as agencies see it: card production's internal stages folded into three. */
export interface CardValue {
  readonly documentNumber: string;
  readonly status: 'issued' | 'active' | 'revoked';
  readonly issueDate: string;
  readonly expiryDate: string | null;
  readonly revocationReason: CardFacts['revocationReason'] | null;
}

/** The value each catalogue field discloses. */
export interface FieldValues {
  readonly personal_id: string;
  readonly name: NameFacts;
  readonly birth_date: string;
  readonly sex: SexFacts;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly home_town: AddressFacts | null;
  readonly birth_place: AddressFacts | null;
  readonly permanent_residence: ResidenceValue;
  readonly temporary_residence: ResidenceValue;
  readonly marital_status: MaritalStatusFacts;
  readonly parents: { readonly fatherCitizenId: string | null; readonly motherCitizenId: string | null };
  readonly spouse: string | null;
  readonly vital_status: { readonly deceased: boolean; readonly deathDate: string | null };
  readonly last_verified: string | null;
  readonly card: CardValue | null;
  readonly biometric_references: {
    readonly face: BiometricReferenceFacts | null;
    readonly fingerprints: BiometricReferenceFacts | null;
  } | null;
}

/**
 * What one agency may know of one citizen: the values of its subscription's fields, and only
 * those — a field outside the subscription has no key here at all, so nothing downstream can
 * encode it, even as an empty value.
 */
export interface Disclosure {
  readonly citizenId: string;
  readonly fields: readonly CitizenField[];
  readonly values: Partial<FieldValues>;
}

const residence = (address: AddressFacts | null): ResidenceValue => ({
  address,
  currentProvinceCode: address ? (currentProvinceOf(address.provinceCode) ?? null) : null,
});

const CARD_STATUS: Partial<Record<CardFacts['status'], CardValue['status']>> = {
  shipped: 'issued',
  delivered: 'issued',
  activated: 'active',
  revoked: 'revoked',
};

function cardValue(card: CardFacts | null): CardValue | null {
  if (!card) return null;
  const status = CARD_STATUS[card.status]!;
  return {
    documentNumber: card.documentNumber,
    status,
    issueDate: card.issueDate,
    expiryDate: card.expiryDate,
    revocationReason: status === 'revoked' ? card.revocationReason : null,
  };
}

/** Computes one field's value; a switch over the whole catalogue, so a new field cannot be forgotten. */
function valueOf(
  field: CitizenField,
  record: RecordFacts,
  citizen: ProjectedCitizen,
): FieldValues[CitizenField] {
  switch (field) {
    case 'personal_id':
      return record.personalId;
    case 'name':
      return record.name;
    case 'birth_date':
      return record.birthDate;
    case 'sex':
      return record.sex;
    case 'nationality':
      return record.nationality;
    case 'ethnicity':
      return record.ethnicity;
    case 'religion':
      return record.religion;
    case 'home_town':
      return record.homeTown;
    case 'birth_place':
      return record.birthPlace;
    case 'permanent_residence':
      return residence(record.permanentResidence);
    case 'temporary_residence':
      return residence(record.temporaryResidence);
    case 'marital_status':
      return record.maritalStatus;
    case 'parents':
      return { fatherCitizenId: record.fatherCitizenId, motherCitizenId: record.motherCitizenId };
    case 'spouse':
      return record.spouseCitizenId;
    case 'vital_status':
      return { deceased: record.deathDate !== null, deathDate: record.deathDate };
    case 'last_verified':
      return record.lastVerifiedDate;
    case 'card':
      return cardValue(currentCard(citizen));
    case 'biometric_references': {
      const enrolment = currentEnrolment(citizen);
      return enrolment && (enrolment.face || enrolment.fingerprints)
        ? { face: enrolment.face, fingerprints: enrolment.fingerprints }
        : null;
    }
    default: {
      const unknown: never = field;
      throw new Error(`unknown field ${unknown as string}`);
    }
  }
}

/** Whether a field's value says something about the citizen (an absent card, a spouse, says nothing). */
function holdsData(field: CitizenField, value: FieldValues[CitizenField]): boolean {
  if (value === null) return false;
  if (field === 'permanent_residence' || field === 'temporary_residence')
    return (value as ResidenceValue).address !== null;
  if (field === 'parents') {
    const p = value as FieldValues['parents'];
    return p.fatherCitizenId !== null || p.motherCitizenId !== null;
  }
  return true;
}

/** Whether the citizen is among those the scope covers, on `today`. */
export function inScope(record: RecordFacts, scope: Scope, today: CalendarDate): boolean {
  if (scope.aliveOnly && record.deathDate !== null) return false;
  if (scope.provinceCodes.length > 0) {
    const code = record.permanentResidence?.provinceCode;
    const current = code === undefined ? undefined : currentProvinceOf(code);
    if (current === undefined || !resolvedProvinces(scope).includes(current)) return false;
  }
  if (scope.minAge !== null || scope.maxAge !== null) {
    const birth = CalendarDate.parse(record.birthDate);
    if (birth.isAfter(today)) return false;
    const age = ageAt(birth, today);
    if (scope.minAge !== null && age < scope.minAge) return false;
    if (scope.maxAge !== null && age > scope.maxAge) return false;
  }
  return true;
}

/**
 * The agency's view of one citizen under `terms` on `today`, or null when it has none: no record
 * yet, outside the scope, or nothing of the citizen left in its fields (a record saying only "this
 * person is in your scope" would disclose membership for no purpose).
 */
export function disclose(citizen: ProjectedCitizen, terms: Terms, today: CalendarDate): Disclosure | null {
  const record = citizen.record;
  if (!record || !inScope(record, terms.scope, today)) return null;
  const values: Partial<Record<CitizenField, FieldValues[CitizenField]>> = {};
  let anything = false;
  for (const field of terms.fields) {
    const value = valueOf(field, record, citizen);
    values[field] = value;
    anything ||= holdsData(field, value);
  }
  if (!anything) return null;
  return { citizenId: citizen.citizenId, fields: terms.fields, values: values as Partial<FieldValues> };
}
