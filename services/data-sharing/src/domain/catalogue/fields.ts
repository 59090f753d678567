/**
 * The catalogue of citizen data an agency can subscribe to (cancuoc.partner.v1.CitizenField).
 * Sensitive fields are personal data of a special category under the Law on Personal Data
 * Protection (91/2025/QH15): a subscription needs its own, explicit legal basis for each of them.
 */
export const CITIZEN_FIELDS = [
  'personal_id',
  'name',
  'birth_date',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'home_town',
  'birth_place',
  'permanent_residence',
  'temporary_residence',
  'marital_status',
  'parents',
  'spouse',
  'vital_status',
  'last_verified',
  'card',
  'biometric_references',
] as const;

export type CitizenField = (typeof CITIZEN_FIELDS)[number];

export interface FieldDefinition {
  readonly field: CitizenField;
  readonly description: string;
  readonly sensitive: boolean;
}

const define = (field: CitizenField, description: string, sensitive = false): FieldDefinition => ({
  field,
  description,
  sensitive,
});

export const FIELD_CATALOGUE: Readonly<Record<CitizenField, FieldDefinition>> = {
  personal_id: define('personal_id', 'the 12-digit personal identification number (số định danh cá nhân)'),
  name: define('name', 'family, middle and given names'),
  birth_date: define('birth_date', 'date of birth'),
  sex: define('sex', 'sex as recorded'),
  nationality: define('nationality', 'nationality, ISO 3166-1 alpha-3'),
  ethnicity: define('ethnicity', 'ethnic group (dân tộc)', true),
  religion: define('religion', 'religion (tôn giáo)', true),
  home_town: define('home_town', 'home town (quê quán)'),
  birth_place: define('birth_place', 'where the birth was registered'),
  permanent_residence: define(
    'permanent_residence',
    'permanent residence (thường trú) and its province today',
  ),
  temporary_residence: define('temporary_residence', 'temporary residence (tạm trú), if any'),
  marital_status: define('marital_status', 'marital status'),
  parents: define('parents', 'record ids of the father and mother'),
  spouse: define('spouse', 'record id of the spouse'),
  vital_status: define('vital_status', 'alive or deceased, and the date of death'),
  last_verified: define('last_verified', 'date of the latest verification of the record (phúc tra)'),
  card: define('card', 'the current identity card: document number, status, issue and expiry dates'),
  biometric_references: define(
    'biometric_references',
    'references to and hashes of the enrolled face portrait and fingerprints, never the biometrics',
    true,
  ),
};

export function isCitizenField(value: string): value is CitizenField {
  return (CITIZEN_FIELDS as readonly string[]).includes(value);
}

export function isSensitive(field: CitizenField): boolean {
  return FIELD_CATALOGUE[field].sensitive;
}

/** Fields in catalogue order, without repeats: the one spelling of a set of fields. */
export function inCatalogueOrder(fields: Iterable<CitizenField>): CitizenField[] {
  const set = new Set(fields);
  return CITIZEN_FIELDS.filter((f) => set.has(f));
}
