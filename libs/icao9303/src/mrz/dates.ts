import { MrzFieldError } from './errors.js';

/**
 * A calendar date whose month or day may be unknown, as in registers where only the year of
 * birth was ever recorded. Doc 9303 Part 3 §4.7 writes the unknown parts as `<<`.
 */
export interface PartialDate {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
}

/** Largest day of each month; February allows 29 because a 2-digit year cannot tell the century. */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const two = (n: number): string => String(n).padStart(2, '0');

/** `YYMMDD` for the MRZ; an unknown month makes the day unknown too. */
export function mrzDate(field: string, date: PartialDate): string {
  const { year, month, day } = date;
  if (!Number.isInteger(year) || year < 0 || year > 9999)
    throw new MrzFieldError(field, 'the year is not between 0 and 9999');
  if (month === undefined && day !== undefined) throw new MrzFieldError(field, 'a day without a month');
  const text = `${two(year % 100)}${month === undefined ? '<<' : two(month)}${day === undefined ? '<<' : two(day)}`;
  assertMrzDate(field, text);
  return text;
}

/** `YYMMDD` with digits, or `<<` for an unknown month or day. */
export function assertMrzDate(field: string, text: string): void {
  const match = /^(\d\d)(\d\d|<<)(\d\d|<<)$/.exec(text);
  if (!match) throw new MrzFieldError(field, 'is not YYMMDD');
  const mm = match[2]!;
  const dd = match[3]!;
  if (mm === '<<') {
    if (dd !== '<<') throw new MrzFieldError(field, 'has a day but no month');
    return;
  }
  const month = Number(mm);
  if (month < 1 || month > 12) throw new MrzFieldError(field, 'has no month 01 to 12');
  if (dd !== '<<' && (Number(dd) < 1 || Number(dd) > MONTH_DAYS[month - 1]!)) {
    throw new MrzFieldError(field, 'has a day its month does not have');
  }
}
