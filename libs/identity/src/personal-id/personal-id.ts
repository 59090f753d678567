import { ADMINISTRATIVE_UNITS } from '../admin-units/reference-data.js';
import type { CalendarDate } from '../dates/calendar-date.js';
import { InvalidPersonalIdError, type FieldViolation } from '../errors.js';
import type { Sex } from '../sex.js';
import { CENTURY_SEX_CODES, decodeCenturySex, encodeCenturySex, type CenturySexCode } from './century-sex.js';

/**
 * How numbers are read. The defaults suit the register; tests and imports of unusual records can
 * narrow or widen them.
 */
export interface PersonalIdOptions {
  /**
   * Whether the first three digits name a place where a birth can be registered. Defaults to every
   * province code the administrative reference data has ever held. Births registered abroad carry a
   * country code from Circular 07/2016/TT-BCA, Appendix 2, which this library does not hold
   * (*unverified*): pass a predicate that also accepts those to import such numbers.
   */
  readonly isKnownBirthPlaceCode?: (code: string) => boolean;
  readonly centurySexCodes?: readonly CenturySexCode[];
  /** When given, a number for someone born in a later year than this date's is refused. */
  readonly asOf?: CalendarDate;
  /** The input field named in violations about the number itself. */
  readonly field?: string;
}

/** What the register holds about a person that the number must agree with. */
export interface RegisteredFacts {
  readonly birthDate: CalendarDate;
  readonly sex: Sex;
  /** The province code where the birth was registered, as it was then: issued numbers keep their prefix. */
  readonly birthRegistrationProvinceCode: string;
}

/**
 * A personal identification number (số định danh cá nhân), 12 digits PPP G YY NNNNNN: birth
 * registration place, century-and-sex, last two digits of the birth year, six random digits. There
 * is no check digit, so a typo in the random part cannot be detected here. Serialises as its digits.
 */
export interface PersonalId {
  readonly value: string;
  readonly birthPlaceCode: string;
  readonly centurySexDigit: number;
  readonly sex: Sex;
  readonly birthYear: number;
  readonly randomPart: string;
  /** Whatever in the number contradicts the record: empty when they agree. For imports of old numbers. */
  validateAgainst(facts: RegisteredFacts): readonly FieldViolation[];
  toString(): string;
  toJSON(): string;
}

export type PersonalIdCheck =
  | { readonly ok: true; readonly personalId: PersonalId }
  | { readonly ok: false; readonly violations: readonly FieldViolation[] };

/**
 * Draws a uniformly random integer in [0, exclusiveMax). Injected so that the domain stays pure; the
 * registry passes `crypto.randomInt`, tests a seeded generator.
 */
export type RandomSource = (exclusiveMax: number) => number;

const ID_PATTERN = /^(\d{3})(\d)(\d{2})(\d{6})$/;
const RANDOM_PART_PATTERN = /^\d{6}$/;
const RANDOM_PART_VALUES = 1_000_000;

const isProvinceCode = (code: string) => ADMINISTRATIVE_UNITS.isKnownCode(code, 'province');

/** Reads a number without throwing: every violation found, or the number. */
export function checkPersonalId(text: string, options: PersonalIdOptions = {}): PersonalIdCheck {
  const field = options.field ?? 'personalId';
  const codes = options.centurySexCodes ?? CENTURY_SEX_CODES;
  const match = ID_PATTERN.exec(text);
  if (!match) {
    return {
      ok: false,
      violations: [
        { field, reason: 'INVALID_FORMAT', description: 'a personal identification number is 12 digits' },
      ],
    };
  }
  const birthPlaceCode = match[1]!;
  const yy = Number(match[3]!);
  const randomPart = match[4]!;
  const violations: FieldViolation[] = [];
  if (!(options.isKnownBirthPlaceCode ?? isProvinceCode)(birthPlaceCode)) {
    violations.push({
      field,
      reason: 'UNKNOWN_BIRTH_PLACE_CODE',
      description: 'the first three digits are not a known province or country code',
    });
  }
  const centurySex = decodeCenturySex(Number(match[2]!), codes);
  if (!centurySex) {
    violations.push({
      field,
      reason: 'UNKNOWN_CENTURY_SEX_DIGIT',
      description: 'the fourth digit is not a known century-and-sex code',
    });
  } else if (options.asOf && centurySex.firstYear + yy > options.asOf.year) {
    violations.push({
      field,
      reason: 'BIRTH_YEAR_IN_FUTURE',
      description: 'the fourth to sixth digits give a birth year that has not begun',
    });
  }
  if (violations.length > 0 || !centurySex) return { ok: false, violations };
  return { ok: true, personalId: personalId(birthPlaceCode, centurySex, yy, randomPart, codes) };
}

/** Reads a number, or throws `InvalidPersonalIdError` listing everything wrong with it. */
export function parsePersonalId(text: string, options: PersonalIdOptions = {}): PersonalId {
  const result = checkPersonalId(text, options);
  if (!result.ok) throw new InvalidPersonalIdError(result.violations);
  return result.personalId;
}

/**
 * Builds the number for a birth registered in `provinceCode`. `randomPart` is the six random digits;
 * use `generatePersonalId` to draw them.
 */
export function composePersonalId(
  provinceCode: string,
  sex: Sex,
  birthDate: CalendarDate,
  randomPart: string,
  options: Omit<PersonalIdOptions, 'asOf' | 'field'> = {},
): PersonalId {
  const codes = options.centurySexCodes ?? CENTURY_SEX_CODES;
  const violations: FieldViolation[] = [];
  if (!(options.isKnownBirthPlaceCode ?? isProvinceCode)(provinceCode)) {
    violations.push({
      field: 'birthRegistrationProvinceCode',
      reason: 'UNKNOWN_BIRTH_PLACE_CODE',
      description: 'not a known three-digit province or country code',
    });
  }
  const centurySex = encodeCenturySex(birthDate.year, sex, codes);
  if (!centurySex) {
    violations.push({
      field: 'birthDate',
      reason: 'BIRTH_YEAR_NOT_ENCODABLE',
      description: 'the century of birth has no century-and-sex code',
    });
  }
  if (!RANDOM_PART_PATTERN.test(randomPart)) {
    violations.push({
      field: 'randomPart',
      reason: 'INVALID_FORMAT',
      description: 'the random part is six digits',
    });
  }
  if (violations.length > 0 || !centurySex) throw new InvalidPersonalIdError(violations);
  return personalId(provinceCode, centurySex, birthDate.year % 100, randomPart, codes);
}

/**
 * Draws a new number for a birth. Uniqueness is not decided here: the registry must claim the
 * number atomically (a unique constraint or a reservation stream) and draw again on a collision,
 * because two registrations may draw the same digits at the same moment.
 */
export function generatePersonalId(
  provinceCode: string,
  sex: Sex,
  birthDate: CalendarDate,
  random: RandomSource,
  options: Omit<PersonalIdOptions, 'asOf' | 'field'> = {},
): PersonalId {
  return composePersonalId(provinceCode, sex, birthDate, drawRandomPart(random), options);
}

/** Six digits, leading zeros kept, from an injected random source. */
export function drawRandomPart(random: RandomSource): string {
  const n = random(RANDOM_PART_VALUES);
  if (!Number.isInteger(n) || n < 0 || n >= RANDOM_PART_VALUES) {
    throw new RangeError('the random source returned a value outside [0, 1000000)');
  }
  return String(n).padStart(6, '0');
}

function personalId(
  birthPlaceCode: string,
  centurySex: CenturySexCode,
  yy: number,
  randomPart: string,
  codes: readonly CenturySexCode[],
): PersonalId {
  const value = `${birthPlaceCode}${centurySex.digit}${String(yy).padStart(2, '0')}${randomPart}`;
  const birthYear = centurySex.firstYear + yy;
  return Object.freeze({
    value,
    birthPlaceCode,
    centurySexDigit: centurySex.digit,
    sex: centurySex.sex,
    birthYear,
    randomPart,
    validateAgainst: (facts: RegisteredFacts) =>
      contradictions(birthPlaceCode, centurySex, birthYear, facts, codes),
    toString: () => value,
    toJSON: () => value,
  });
}

function contradictions(
  birthPlaceCode: string,
  centurySex: CenturySexCode,
  birthYear: number,
  facts: RegisteredFacts,
  codes: readonly CenturySexCode[],
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  if (facts.birthRegistrationProvinceCode !== birthPlaceCode) {
    violations.push({
      field: 'birthRegistrationProvinceCode',
      reason: 'BIRTH_PLACE_MISMATCH',
      description:
        "the number's first three digits are not the code of the province where the birth was registered",
    });
  }
  if (facts.sex !== centurySex.sex) {
    violations.push({
      field: 'sex',
      reason: 'SEX_MISMATCH',
      description: "the number's century-and-sex digit encodes the other sex",
    });
  }
  if (facts.birthDate.year !== birthYear) {
    const centuryAgrees =
      encodeCenturySex(facts.birthDate.year, centurySex.sex, codes)?.digit === centurySex.digit;
    violations.push({
      field: 'birthDate',
      reason: centuryAgrees ? 'BIRTH_YEAR_MISMATCH' : 'BIRTH_CENTURY_MISMATCH',
      description: centuryAgrees
        ? "the number's year digits are not the last two digits of the year of birth"
        : "the number's century-and-sex digit encodes another century of birth",
    });
  }
  return violations;
}
