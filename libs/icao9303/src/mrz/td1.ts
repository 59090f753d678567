import { isMrzText, padField, trimFillers } from './charset.js';
import { checkDigit } from './check-digit.js';
import { assertMrzDate } from './dates.js';
import { MrzFieldError, MrzFormatError } from './errors.js';
import { formatName, parseName, type MrzName } from './names.js';

/** `<` is "unspecified" (Doc 9303 Part 3 §4.5). */
export type MrzSex = 'M' | 'F' | '<';

/** Six fillers in a date field: no date is written (for example a card that does not expire). */
export const NO_DATE = '<<<<<<';

/** The data of a TD1 (ID-1 card) MRZ, Doc 9303 Part 5 §4.2.2, before check digits are added. */
export interface Td1Fields {
  /** Two characters at most; the first is A, C or I (`I<`, `ID`, …). */
  readonly documentCode: string;
  /** ICAO 3-letter code, shorter codes are filled with `<` (`D` → `D<<`). */
  readonly issuingState: string;
  /** Nine characters at most; the ICAO overflow of longer numbers into the optional data is not used. */
  readonly documentNumber: string;
  readonly optionalData1: string;
  /** `YYMMDD`, `<<` for an unknown month or day. */
  readonly dateOfBirth: string;
  readonly sex: MrzSex;
  /** `YYMMDD`, or {@link NO_DATE}. */
  readonly dateOfExpiry: string;
  readonly nationality: string;
  readonly optionalData2: string;
  readonly name: MrzName;
}

export interface Td1 {
  readonly lines: readonly [string, string, string];
  readonly nameTruncated: boolean;
}

/** One check digit of a read MRZ: which one, what the text says, what it should say. */
export interface MrzCheck {
  readonly check: string;
  readonly valid: boolean;
  readonly expected: string;
  readonly found: string;
}

export interface Td1Reading {
  readonly fields: Td1Fields;
  readonly checks: readonly MrzCheck[];
  /** Every check passed. */
  readonly valid: boolean;
}

export const TD1_LINE_LENGTH = 30;
const STATE = /^[A-Z<]{3}$/;

function assertState(field: string, value: string): string {
  const padded = padField(field, value, 3);
  if (!STATE.test(padded) || padded.startsWith('<')) {
    throw new MrzFieldError(field, 'is not a 3-letter state code');
  }
  return padded;
}

function assertDate(field: string, value: string): void {
  if (field === 'dateOfExpiry' && value === NO_DATE) return;
  assertMrzDate(field, value);
}

/** The composite check covers line 1 positions 6–30 and line 2 positions 1–7, 9–15 and 19–29. */
function compositeInput(line1: string, line2: string): string {
  return line1.slice(5, 30) + line2.slice(0, 7) + line2.slice(8, 15) + line2.slice(18, 29);
}

export function encodeTd1(fields: Td1Fields): Td1 {
  if (!/^[ACI][A-Z<]?$/.test(fields.documentCode)) {
    throw new MrzFieldError('documentCode', 'must start with A, C or I');
  }
  if (!['M', 'F', '<'].includes(fields.sex)) throw new MrzFieldError('sex', 'is not M, F or <');
  assertDate('dateOfBirth', fields.dateOfBirth);
  assertDate('dateOfExpiry', fields.dateOfExpiry);

  const documentNumber = padField('documentNumber', fields.documentNumber, 9);
  const line1 =
    padField('documentCode', fields.documentCode, 2) +
    assertState('issuingState', fields.issuingState) +
    documentNumber +
    String(checkDigit(documentNumber)) +
    padField('optionalData1', fields.optionalData1, 15);
  const line2WithoutComposite =
    fields.dateOfBirth +
    String(checkDigit(fields.dateOfBirth)) +
    fields.sex +
    fields.dateOfExpiry +
    String(checkDigit(fields.dateOfExpiry)) +
    assertState('nationality', fields.nationality) +
    padField('optionalData2', fields.optionalData2, 11);
  const line2 = line2WithoutComposite + String(checkDigit(compositeInput(line1, line2WithoutComposite)));
  const name = formatName(fields.name, TD1_LINE_LENGTH);
  return { lines: [line1, line2, name.text], nameTruncated: name.truncated };
}

function splitLines(mrz: string | readonly string[]): readonly string[] {
  return typeof mrz === 'string' ? mrz.replace(/\r?\n$/, '').split(/\r?\n/) : mrz;
}

function check(name: string, data: string, found: string): MrzCheck {
  const expected = String(checkDigit(data));
  return { check: name, valid: expected === found, expected, found };
}

/**
 * Reads a TD1 MRZ. Text that is not an MRZ at all (line count, length, alphabet, field syntax)
 * throws {@link MrzFormatError}; wrong check digits are reported one by one in `checks`, so a
 * reader can tell a mis-scanned date from a mis-scanned number.
 */
export function parseTd1(mrz: string | readonly string[]): Td1Reading {
  const lines = splitLines(mrz);
  if (lines.length !== 3) throw new MrzFormatError(`a TD1 MRZ has 3 lines, got ${lines.length}`);
  lines.forEach((line, i) => {
    if (line.length !== TD1_LINE_LENGTH) {
      throw new MrzFormatError(
        `line ${i + 1} has ${line.length} characters, a TD1 line has ${TD1_LINE_LENGTH}`,
      );
    }
    if (!isMrzText(line)) throw new MrzFormatError(`line ${i + 1} has characters outside A–Z, 0–9 and <`);
  });
  if (!/^[A-Z<]+$/.test(lines[2]!))
    throw new MrzFormatError('line 3 (the name) has characters outside A–Z and <');
  const [line1, line2, line3] = lines as [string, string, string];
  const sex = line2[7]!;
  if (sex !== 'M' && sex !== 'F' && sex !== '<') throw new MrzFormatError(`sex ${sex} is not M, F or <`);
  const fields: Td1Fields = {
    documentCode: trimFillers(line1.slice(0, 2)),
    issuingState: trimFillers(line1.slice(2, 5)),
    documentNumber: trimFillers(line1.slice(5, 14)),
    optionalData1: trimFillers(line1.slice(15, 30)),
    dateOfBirth: line2.slice(0, 6),
    sex,
    dateOfExpiry: line2.slice(8, 14),
    nationality: trimFillers(line2.slice(15, 18)),
    optionalData2: trimFillers(line2.slice(18, 29)),
    name: parseName(line3),
  };
  try {
    assertDate('dateOfBirth', fields.dateOfBirth);
    assertDate('dateOfExpiry', fields.dateOfExpiry);
  } catch (error) {
    throw new MrzFormatError(error instanceof Error ? error.message : String(error));
  }
  const checks = [
    check('documentNumber', line1.slice(5, 14), line1[14]!),
    check('dateOfBirth', line2.slice(0, 6), line2[6]!),
    check('dateOfExpiry', line2.slice(8, 14), line2[14]!),
    check('composite', compositeInput(line1, line2), line2[29]!),
  ];
  return { fields, checks, valid: checks.every((c) => c.valid) };
}
