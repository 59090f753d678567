import {
  VIETNAM_DG13_LAYOUT_2021,
  VIETNAM_TD1_LAYOUT_2021,
  type VietnamCardMrzData,
  type VietnamDg13Fields,
} from '@cancuoc/icao9303';
import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  cardValidity,
  DomainValidationError,
  givenNames,
  parsePersonalId,
  toMrzCharacters,
  type FieldViolation,
} from '@cancuoc/identity';

/** An address as the register recorded it (codes of units that may since have merged). */
export interface RegisterAddress {
  readonly provinceCode: string;
  readonly communeCode: string;
  readonly detail: string;
}

/**
 * The register's data pinned by enrollment for the card (from `cancuoc.events.v1.Citizen`). Personal
 * and partly sensitive data: it is kept encrypted and never logged.
 */
export interface RegisterData {
  readonly personalId: string;
  readonly familyName: string;
  readonly middleName: string;
  readonly givenName: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female' | undefined;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly homeTown: RegisterAddress | null;
  readonly permanentResidence: RegisterAddress | null;
}

/** What is written on the card, derived from the register's data and the issue date. */
export interface CardContents {
  readonly documentNumber: string;
  readonly issueDate: CalendarDate;
  /** Null: the card does not expire. */
  readonly expiryDate: CalendarDate | null;
  readonly validityRuleId: string;
  readonly mrzLayoutId: string;
  readonly dg13LayoutId: string;
  readonly mrz: VietnamCardMrzData;
  readonly dg13: VietnamDg13Fields;
}

/** The register's data cannot make a card (a number or name that cannot be written, an age no law covers). */
export class UnusableRegisterDataError extends DomainValidationError {
  override readonly name = 'UnusableRegisterDataError';
  constructor(violations: readonly FieldViolation[]) {
    super('the register data cannot be written on a card', violations);
  }
}

/** How the card prints "does not expire" in DG13 (the MRZ side is the layout's NoExpiryRule). */
export const NO_EXPIRY_TEXT = 'Không thời hạn';

const NATIONALITY_NAMES: Readonly<Record<string, string>> = { VNM: 'Việt Nam' };

/** DD/MM/YYYY, as Vietnamese cards print dates. */
export function printedDate(date: CalendarDate): string {
  const [y, m, d] = date.toString().split('-');
  return `${d}/${m}/${y}`;
}

/**
 * A unit's name as of `on`; a code no longer in force (an address recorded before a merger) is
 * named by its last version, and a code the shipped reference data lacks by the code itself.
 */
function unitName(code: string, on: CalendarDate): string {
  const unit = ADMINISTRATIVE_UNITS.resolveUnit(code, on) ?? ADMINISTRATIVE_UNITS.history(code).at(-1);
  return unit?.name ?? code;
}

export function printedAddress(address: RegisterAddress | null, on: CalendarDate): string {
  if (!address) return '';
  return [address.detail.trim(), unitName(address.communeCode, on), unitName(address.provinceCode, on)]
    .filter((part) => part !== '')
    .join(', ');
}

function catching<T>(violations: FieldViolation[], work: () => T): T | undefined {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof DomainValidationError)) throw error;
    violations.push(...error.violations);
    return undefined;
  }
}

/**
 * The card's contents: document number by the Vietnamese TD1 layout (the last nine digits of the
 * personal id number), validity by the milestone-age rule in force on the issue date, the MRZ
 * name transliterated without diacritics, and DG13 as the card prints it.
 */
export function cardContents(data: RegisterData, issueDate: CalendarDate): CardContents {
  const violations: FieldViolation[] = [];
  const personalId = catching(violations, () => parsePersonalId(data.personalId, { field: 'personalId' }));
  const birthDate = catching(violations, () => CalendarDate.parse(data.birthDate, 'birthDate'));
  if (data.sex === undefined)
    violations.push({
      field: 'sex',
      reason: 'REQUIRED',
      description: 'the register has no sex for the citizen',
    });
  const primary = catching(violations, () => toMrzCharacters(data.familyName, 'familyName'));
  const secondary = catching(violations, () =>
    toMrzCharacters(
      givenNames({ familyName: data.familyName, middleNames: [data.middleName], givenName: data.givenName }),
      'givenName',
    ),
  );
  if (primary === '')
    violations.push({ field: 'familyName', reason: 'REQUIRED', description: 'a family name is required' });
  const validity = birthDate && catching(violations, () => cardValidity({ birthDate, issueDate }));
  if (
    violations.length > 0 ||
    !personalId ||
    !birthDate ||
    !validity ||
    primary === undefined ||
    secondary === undefined
  ) {
    throw new UnusableRegisterDataError(violations);
  }
  const expiryDate = validity.kind === 'expires' ? validity.validUntil : null;
  const fullName = [data.familyName, data.middleName, data.givenName]
    .map((p) => p.trim())
    .filter(Boolean)
    .join(' ');
  return {
    documentNumber: VIETNAM_TD1_LAYOUT_2021.numberFields(personalId.value).documentNumber,
    issueDate,
    expiryDate,
    validityRuleId: validity.ruleId,
    mrzLayoutId: VIETNAM_TD1_LAYOUT_2021.id,
    dg13LayoutId: VIETNAM_DG13_LAYOUT_2021.id,
    mrz: {
      personalIdNumber: personalId.value,
      name: { primaryIdentifier: primary, secondaryIdentifier: secondary },
      dateOfBirth: { year: birthDate.year, month: birthDate.month, day: birthDate.day },
      sex: data.sex === 'male' ? 'M' : 'F',
      dateOfExpiry: expiryDate
        ? { year: expiryDate.year, month: expiryDate.month, day: expiryDate.day }
        : 'none',
    },
    dg13: {
      personalIdNumber: personalId.value,
      fullName,
      dateOfBirth: printedDate(birthDate),
      sex: data.sex === 'male' ? 'Nam' : 'Nữ',
      nationality: NATIONALITY_NAMES[data.nationality] ?? data.nationality,
      ethnicity: data.ethnicity,
      religion: data.religion,
      homeTown: printedAddress(data.homeTown, issueDate),
      permanentResidence: printedAddress(data.permanentResidence, issueDate),
      // The register holds neither identifying marks nor the parents' names: enrollment would
      // have to capture them; until then the fields are written empty.
      identifyingMarks: '',
      issueDate: printedDate(issueDate),
      expiryDate: expiryDate ? printedDate(expiryDate) : NO_EXPIRY_TEXT,
      fatherName: '',
      motherName: '',
    },
  };
}
