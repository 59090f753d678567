import { partner } from '@cancuoc/proto';
import { CITIZEN_FIELDS, type CitizenField } from '../../domain/catalogue/fields.js';

/** The catalogue's names and the contract's enum, both ways. */
export const FIELD_TO_PROTO: Readonly<Record<CitizenField, partner.CitizenField>> = {
  personal_id: partner.CitizenField.PERSONAL_ID,
  name: partner.CitizenField.NAME,
  birth_date: partner.CitizenField.BIRTH_DATE,
  sex: partner.CitizenField.SEX,
  nationality: partner.CitizenField.NATIONALITY,
  ethnicity: partner.CitizenField.ETHNICITY,
  religion: partner.CitizenField.RELIGION,
  home_town: partner.CitizenField.HOME_TOWN,
  birth_place: partner.CitizenField.BIRTH_PLACE,
  permanent_residence: partner.CitizenField.PERMANENT_RESIDENCE,
  temporary_residence: partner.CitizenField.TEMPORARY_RESIDENCE,
  marital_status: partner.CitizenField.MARITAL_STATUS,
  parents: partner.CitizenField.PARENTS,
  spouse: partner.CitizenField.SPOUSE,
  vital_status: partner.CitizenField.VITAL_STATUS,
  last_verified: partner.CitizenField.LAST_VERIFIED,
  card: partner.CitizenField.CARD,
  biometric_references: partner.CitizenField.BIOMETRIC_REFERENCES,
};

const FROM_PROTO = new Map<partner.CitizenField, CitizenField>(
  CITIZEN_FIELDS.map((f) => [FIELD_TO_PROTO[f], f]),
);

/** The catalogue name of a contract enum value; undefined for UNSPECIFIED or an unknown number. */
export function fieldFromProto(value: partner.CitizenField): CitizenField | undefined {
  return FROM_PROTO.get(value);
}
