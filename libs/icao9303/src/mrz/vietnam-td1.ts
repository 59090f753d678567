import { checkDigit } from './check-digit.js';
import { mrzDate, type PartialDate } from './dates.js';
import { MrzFieldError } from './errors.js';
import type { MrzName } from './names.js';
import { encodeTd1, NO_DATE, parseTd1, type MrzCheck, type Td1, type Td1Reading } from './td1.js';

/**
 * How the MRZ writes "this card does not expire" (cards issued after 60 never expire). The
 * practice on Vietnamese cards is *unverified*, so it is a rule the caller can choose:
 * - `fillers`: `<<<<<<`, whose check digit is 0 because fillers count as 0;
 * - `fixed-date`: a sentinel date such as `991231`.
 */
export type NoExpiryRule =
  { readonly kind: 'fillers' } | { readonly kind: 'fixed-date'; readonly date: string };

/**
 * Where the Vietnamese card puts the 12-digit personal identification number (số định danh cá
 * nhân) in line 1. Reverse-engineered from sample cards, *unverified*: keep every assumption in
 * a layout object so that a corrected layout is a new object, not an edit of the TD1 code.
 */
export interface VietnamTd1Layout {
  /** Names the rule set, so that a card can record which layout wrote its MRZ. */
  readonly id: string;
  readonly documentCode: string;
  readonly noExpiry: NoExpiryRule;
  /** Document number and optional data 1 for a personal identification number. */
  numberFields(personalIdNumber: string): { documentNumber: string; optionalData1: string };
  /** The personal identification number found in line 1, with the layout's own checks. */
  readNumberFields(fields: { documentNumber: string; optionalData1: string }): {
    personalIdNumber: string | undefined;
    checks: MrzCheck[];
  };
}

const PERSONAL_ID = /^\d{12}$/;

/**
 * Sample cards (2021 chip card) show `IDVNM` + the last 9 digits of the number + its check
 * digit, then the full 12 digits, `<<` and one more check digit. We take that digit to be the
 * check digit of the 12 digits; as fillers count as 0 it is also the check digit of positions
 * 16–29, so both readings of the samples give the same digit.
 */
export const VIETNAM_TD1_LAYOUT_2021: VietnamTd1Layout = {
  id: 'vn-td1-2021-samples',
  documentCode: 'ID',
  noExpiry: { kind: 'fillers' },
  numberFields(personalIdNumber) {
    if (!PERSONAL_ID.test(personalIdNumber)) {
      throw new MrzFieldError('personalIdNumber', 'is not 12 digits');
    }
    return {
      documentNumber: personalIdNumber.slice(3),
      optionalData1: `${personalIdNumber}<<${checkDigit(personalIdNumber)}`,
    };
  },
  readNumberFields({ documentNumber, optionalData1 }) {
    // Parsed fields come without their trailing fillers; the positions below count from the left.
    const data = optionalData1.padEnd(15, '<');
    const candidate = data.slice(0, 12);
    const present = PERSONAL_ID.test(candidate) && data.slice(12, 14) === '<<';
    const found = data.slice(14, 15);
    const checks: MrzCheck[] = [
      { check: 'personalIdNumber', valid: present, expected: '12 digits then <<', found: data },
    ];
    if (!present) return { personalIdNumber: undefined, checks };
    const expected = String(checkDigit(candidate));
    checks.push(
      { check: 'personalIdNumberCheckDigit', valid: found === expected, expected, found },
      {
        check: 'documentNumberIsPersonalIdSuffix',
        valid: documentNumber === candidate.slice(3),
        expected: candidate.slice(3),
        found: documentNumber,
      },
    );
    return { personalIdNumber: candidate, checks };
  },
};

/** The card data the MRZ is written from; everything comes from the population register. */
export interface VietnamCardMrzData {
  readonly personalIdNumber: string;
  /** Already without diacritics: `NGUYEN` / `VAN<AN`. */
  readonly name: MrzName;
  readonly dateOfBirth: PartialDate;
  readonly sex: 'M' | 'F';
  /** `none` after the last renewal age; written as the layout's {@link NoExpiryRule} says. */
  readonly dateOfExpiry: Required<PartialDate> | 'none';
}

export const VIETNAM = 'VNM';

function expiryText(layout: VietnamTd1Layout, expiry: VietnamCardMrzData['dateOfExpiry']): string {
  if (expiry !== 'none') return mrzDate('dateOfExpiry', expiry);
  return layout.noExpiry.kind === 'fillers' ? NO_DATE : layout.noExpiry.date;
}

export function encodeVietnamTd1(data: VietnamCardMrzData, layout = VIETNAM_TD1_LAYOUT_2021): Td1 {
  return encodeTd1({
    documentCode: layout.documentCode,
    issuingState: VIETNAM,
    ...layout.numberFields(data.personalIdNumber),
    dateOfBirth: mrzDate('dateOfBirth', data.dateOfBirth),
    sex: data.sex,
    dateOfExpiry: expiryText(layout, data.dateOfExpiry),
    nationality: VIETNAM,
    optionalData2: '',
    name: data.name,
  });
}

export interface VietnamTd1Reading extends Td1Reading {
  readonly personalIdNumber: string | undefined;
  /** False when the expiry field holds the layout's "no expiry" value. */
  readonly expires: boolean;
}

/** Reads a Vietnamese card MRZ: the ICAO checks plus the layout's own checks, all in `checks`. */
export function readVietnamTd1(
  mrz: string | readonly string[],
  layout = VIETNAM_TD1_LAYOUT_2021,
): VietnamTd1Reading {
  const reading = parseTd1(mrz);
  const numbers = layout.readNumberFields(reading.fields);
  const checks = [...reading.checks, ...numbers.checks];
  return {
    fields: reading.fields,
    checks,
    valid: checks.every((c) => c.valid),
    personalIdNumber: numbers.personalIdNumber,
    expires: reading.fields.dateOfExpiry !== expiryText(layout, 'none'),
  };
}
