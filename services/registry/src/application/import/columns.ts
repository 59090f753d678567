/**
 * The columns of an import file, the same names in CSV (a header row) and NDJSON (object keys): one
 * citizen per row, the facts of a `RegisterExistingCitizen` plus the parents' personal id numbers.
 */
export const COLUMNS = [
  'personal_id',
  'family_name',
  'middle_name',
  'given_name',
  'birth_date',
  'sex',
  'nationality',
  'ethnicity',
  'religion',
  'birth_province',
  'birth_commune',
  'home_town_province',
  'home_town_commune',
  'residence_province',
  'residence_commune',
  'residence_detail',
  'father_personal_id',
  'mother_personal_id',
] as const;

export type Column = (typeof COLUMNS)[number];

/** A CSV header may leave these out; every row then has them empty. */
export const OPTIONAL_COLUMNS: ReadonlySet<Column> = new Set([
  'middle_name',
  'residence_detail',
  'father_personal_id',
  'mother_personal_id',
]);

/** One row's values by column, as read (not yet trimmed or checked). Missing means empty. */
export type ImportFields = Partial<Record<Column, string>>;

const COLUMN_SET: ReadonlySet<string> = new Set(COLUMNS);

export function isColumn(name: string): name is Column {
  return COLUMN_SET.has(name);
}

/**
 * The file columns a domain field comes from, so a rejection names both the rule's field and the
 * columns to fix. The number must agree with the birth province, so a mismatch names both.
 */
const FIELD_COLUMNS: Readonly<Record<string, readonly Column[]>> = {
  personalId: ['personal_id'],
  'name.familyName': ['family_name'],
  'name.middleName': ['middle_name'],
  'name.givenName': ['given_name'],
  birthDate: ['birth_date'],
  sex: ['sex'],
  nationality: ['nationality'],
  ethnicity: ['ethnicity'],
  religion: ['religion'],
  birthPlace: ['birth_province', 'birth_commune'],
  'birthPlace.provinceCode': ['birth_province'],
  'birthPlace.communeCode': ['birth_commune'],
  homeTown: ['home_town_province', 'home_town_commune'],
  'homeTown.provinceCode': ['home_town_province'],
  'homeTown.communeCode': ['home_town_commune'],
  permanentResidence: ['residence_province', 'residence_commune', 'residence_detail'],
  'permanentResidence.provinceCode': ['residence_province'],
  'permanentResidence.communeCode': ['residence_commune'],
  'permanentResidence.detail': ['residence_detail'],
  birthRegistrationProvinceCode: ['personal_id', 'birth_province'],
  fatherCitizenId: ['father_personal_id'],
  motherCitizenId: ['mother_personal_id'],
  fatherPersonalId: ['father_personal_id'],
  motherPersonalId: ['mother_personal_id'],
};

export function columnsOf(field: string): readonly string[] {
  if (isColumn(field)) return [field];
  return Object.hasOwn(FIELD_COLUMNS, field) ? FIELD_COLUMNS[field]! : [];
}
