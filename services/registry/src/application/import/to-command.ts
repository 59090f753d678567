import type { CitizenCommand } from '../../domain/citizen/commands.js';
import type { AddressData, Sex } from '../../domain/citizen/events.js';
import type { FamilyRules } from '../../domain/citizen/family-rules.js';
import type { ImportFields } from './columns.js';

export type RegisterCitizen = Extract<CitizenCommand, { type: 'RegisterCitizen' }>;

/**
 * How files commonly write the sex; anything else goes to the decider as it is, which refuses it.
 * (Nam / Nữ: male / female.)
 */
const SEX: ReadonlyMap<string, Sex> = new Map([
  ['male', 'male'],
  ['female', 'female'],
  ['nam', 'male'],
  ['nữ', 'female'],
]);

function address(
  province: string | undefined,
  commune: string | undefined,
  detail?: string,
): Partial<AddressData> {
  return { provinceCode: province?.trim() ?? '', communeCode: commune?.trim() ?? '', detail: detail ?? '' };
}

/**
 * The `RegisterCitizen` command a row stands for: the same command `RegisterExistingCitizen` gives
 * the decider, so a row is judged by the same rules. Only the file's spelling is translated here;
 * nothing is checked. Parents are named by personal id in the file and resolved by the caller.
 */
export function registrationOf(fields: ImportFields, today: string, rules?: FamilyRules): RegisterCitizen {
  const sex = fields.sex?.trim() ?? '';
  const residence = [fields.residence_province, fields.residence_commune, fields.residence_detail];
  return {
    type: 'RegisterCitizen',
    today,
    ...(rules && { rules }),
    personalId: fields.personal_id?.trim() ?? '',
    registration: 'initial-collection',
    name: {
      familyName: fields.family_name ?? '',
      middleName: fields.middle_name ?? '',
      givenName: fields.given_name ?? '',
    },
    birthDate: fields.birth_date?.trim() ?? '',
    sex: sex === '' ? undefined : (SEX.get(sex.normalize('NFC').toLowerCase()) ?? (sex as Sex)),
    nationality: fields.nationality ?? '',
    ethnicity: fields.ethnicity ?? '',
    religion: fields.religion ?? '',
    birthPlace: address(fields.birth_province, fields.birth_commune),
    homeTown: address(fields.home_town_province, fields.home_town_commune),
    // A row with no residence at all registers none (the quality report then lists it as incomplete).
    permanentResidence: residence.every((v) => !v?.trim())
      ? undefined
      : address(fields.residence_province, fields.residence_commune, fields.residence_detail),
    fatherCitizenId: null,
    motherCitizenId: null,
  };
}
