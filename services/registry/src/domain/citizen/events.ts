import type { DomainEvent } from '@cancuoc/eventstore';

/** An address as recorded: unit codes in force on the day it was recorded, and the street detail. */
export interface AddressData {
  readonly provinceCode: string;
  readonly communeCode: string;
  /** Street, hamlet (thôn, ấp), house number. */
  readonly detail: string;
}

export type Sex = 'male' | 'female';
export type MaritalStatus = 'single' | 'married' | 'divorced' | 'widowed';

export interface NameData {
  readonly familyName: string;
  readonly middleName: string;
  readonly givenName: string;
}

/** The fields a correction (đính chính) may change, with the value types they hold. */
export interface CorrectableFields {
  readonly name: NameData;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly ethnicity: string;
  readonly religion: string;
  readonly nationality: string;
  readonly homeTown: AddressData;
  readonly birthPlace: AddressData;
}
export type CorrectableField = keyof CorrectableFields;

export type CitizenEvent =
  | DomainEvent<
      'CitizenRegistered',
      NameData & {
        readonly personalId: string;
        /** `birth`: a birth registration (đăng ký khai sinh); `initial-collection`: an existing person. */
        readonly registration: 'birth' | 'initial-collection';
        readonly birthDate: string;
        readonly sex: Sex;
        readonly nationality: string;
        readonly ethnicity: string;
        readonly religion: string;
        readonly birthPlace: AddressData;
        readonly homeTown: AddressData;
        readonly fatherCitizenId: string | null;
        readonly motherCitizenId: string | null;
        readonly registeredOn: string;
      }
    >
  | DomainEvent<'NameChanged', NameData & { readonly reason: string; readonly changedOn: string }>
  | DomainEvent<'PermanentResidenceRegistered', { readonly address: AddressData; readonly since: string }>
  | DomainEvent<
      'TemporaryResidenceRegistered',
      { readonly address: AddressData; readonly from: string; readonly until: string | null }
    >
  | DomainEvent<'TemporaryResidenceEnded', { readonly endedOn: string }>
  | DomainEvent<
      'ParentsRecorded',
      { readonly fatherCitizenId: string | null; readonly motherCitizenId: string | null }
    >
  | DomainEvent<
      'MaritalStatusChanged',
      { readonly status: MaritalStatus; readonly spouseCitizenId: string | null; readonly since: string }
    >
  | DomainEvent<'DeathRecorded', { readonly dateOfDeath: string; readonly certificateRef: string }>
  | DomainEvent<
      'FieldCorrected',
      {
        readonly field: CorrectableField;
        readonly previous: CorrectableFields[CorrectableField];
        readonly corrected: CorrectableFields[CorrectableField];
        readonly reason: string;
        readonly evidenceRef: string;
      }
    >
  | DomainEvent<
      'ResidenceRecoded',
      {
        /**
         * The permanent residence as recorded (units of its date, never rewritten) and its date: the
         * commune the 2025 reorganisation divided, or dissolved with no successor the data names.
         */
        readonly recorded: { readonly provinceCode: string; readonly communeCode: string };
        readonly since: string;
        /** The units of today a clerk chose it lies in (the commune one of the successors). */
        readonly provinceCode: string;
        readonly communeCode: string;
        readonly recodedOn: string;
      }
    >
  | DomainEvent<
      'VerificationRecorded',
      {
        /** The officer who verified (phúc tra), by staff id — never a citizen's data. */
        readonly verifiedBy: string;
        readonly verifiedOn: string;
        readonly outcome: 'confirmed' | 'discrepancy';
        readonly note: string;
      }
    >;

export type CitizenEventType = CitizenEvent['type'];
