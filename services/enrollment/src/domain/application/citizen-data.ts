/** An address by unit codes, as the register recorded it. */
export interface AddressData {
  readonly provinceCode: string;
  readonly communeCode: string;
  readonly detail: string;
}

/**
 * The register's record of a citizen as enrollment pins it to an application: the fields the card
 * is made from, copied at one register version and never re-read for that application.
 */
export interface CitizenData {
  readonly personalId: string;
  readonly familyName: string;
  readonly middleName: string;
  readonly givenName: string;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: 'male' | 'female' | 'unspecified';
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  /** Quê quán. */
  readonly homeTown: AddressData | null;
  /** Nơi đăng ký khai sinh. */
  readonly birthPlace: AddressData | null;
  /** Thường trú. */
  readonly permanentResidence: AddressData | null;
  /** Tạm trú. */
  readonly temporaryResidence: AddressData | null;
  readonly maritalStatus: 'single' | 'married' | 'divorced' | 'widowed' | 'unspecified';
  readonly fatherCitizenId: string;
  readonly motherCitizenId: string;
  readonly spouseCitizenId: string;
  /** Empty while alive. */
  readonly deathDate: string;
  readonly lastVerifiedDate: string;
}

/** What the register answered for a personal id number. */
export type RegisterLookup =
  | { readonly kind: 'not-found' }
  | {
      readonly kind: 'found';
      readonly citizenId: string;
      readonly recordVersion: number;
      readonly citizen: CitizenData;
      readonly deceased: boolean;
      /** Kinds of the record's open data-quality flags (PROBABLE_DUPLICATE, STALE, …). */
      readonly openQualityFlags: readonly string[];
    };

/** The fields printed on the card or written to its chip (DG1, DG13): what a data change is about. */
export function printedData(citizen: CitizenData): string {
  const { familyName, middleName, givenName, birthDate, sex, nationality, ethnicity, religion } = citizen;
  return JSON.stringify([
    familyName,
    middleName,
    givenName,
    birthDate,
    sex,
    nationality,
    ethnicity,
    religion,
    citizen.homeTown,
    citizen.permanentResidence,
  ]);
}
