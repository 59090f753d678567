import { InvalidCalendarDateError } from '../errors.js';

/** Vietnam keeps UTC+7 all year (no daylight saving), so "today" is one fixed offset away from UTC. */
export const VIETNAM_UTC_OFFSET_MINUTES = 7 * 60;

/**
 * Which day a 29 February anniversary falls on in a common year. No Vietnamese text found settles
 * it for ages in years (*unverified*); the Civil Code's rule for periods in months (Article 148: a
 * missing corresponding day means the month's last day) suggests 28 February, the default here. It is
 * a parameter, and a field of every card-validity rule, so a ruling can change it per law version.
 */
export type LeapDayAnniversary = 'february-28' | 'march-1';

const MS_PER_DAY = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A day of the Gregorian calendar with no time and no zone: a birth date, an issue date, the day a
 * reorganisation took effect. Built only from validated parts, it never goes through the host's local
 * time zone, so a date cannot shift by one when a server runs in UTC and a clerk in UTC+7.
 * Serialises as `YYYY-MM-DD`.
 */
export class CalendarDate {
  private constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}

  /** `field` names the input in the violation, so a refusal points at `birthDate`, not at "date". */
  static of(year: number, month: number, day: number, field = 'date'): CalendarDate {
    const problem = CalendarDate.problemWith(year, month, day);
    if (problem)
      throw new InvalidCalendarDateError([{ field, reason: 'INVALID_DATE', description: problem }]);
    return new CalendarDate(year, month, day);
  }

  /** Reads exactly `YYYY-MM-DD`; other spellings are refused rather than guessed at. */
  static parse(text: string, field = 'date'): CalendarDate {
    const match = DATE_PATTERN.exec(text);
    if (!match) {
      throw new InvalidCalendarDateError([
        { field, reason: 'INVALID_DATE_FORMAT', description: 'a date must be written YYYY-MM-DD' },
      ]);
    }
    return CalendarDate.of(Number(match[1]), Number(match[2]), Number(match[3]), field);
  }

  /** The day `days` after 1970-01-01 (negative before it). */
  static fromEpochDay(days: number): CalendarDate {
    if (!Number.isSafeInteger(days)) throw new RangeError(`epoch day ${days} is not an integer`);
    const [year, month, day] = civilFromDays(days);
    return CalendarDate.of(year, month, day);
  }

  /** The calendar day an instant falls on at a fixed UTC offset (Vietnam's by default). */
  static fromInstant(instant: Date | number, utcOffsetMinutes = VIETNAM_UTC_OFFSET_MINUTES): CalendarDate {
    const ms = typeof instant === 'number' ? instant : instant.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('the instant is not a valid time');
    return CalendarDate.fromEpochDay(Math.floor((ms + utcOffsetMinutes * 60_000) / MS_PER_DAY));
  }

  toEpochDay(): number {
    return daysFromCivil(this.year, this.month, this.day);
  }

  plusDays(days: number): CalendarDate {
    return CalendarDate.fromEpochDay(this.toEpochDay() + days);
  }

  /** Same month and day `years` later (or earlier); 29 February lands per `leapDay` in common years. */
  plusYears(years: number, leapDay: LeapDayAnniversary = 'february-28'): CalendarDate {
    const year = this.year + years;
    if (this.month === 2 && this.day === 29 && !isLeapYear(year)) {
      return leapDay === 'february-28' ? CalendarDate.of(year, 2, 28) : CalendarDate.of(year, 3, 1);
    }
    return CalendarDate.of(year, this.month, this.day);
  }

  compare(other: CalendarDate): -1 | 0 | 1 {
    const a = this.year * 10_000 + this.month * 100 + this.day;
    const b = other.year * 10_000 + other.month * 100 + other.day;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  isBefore(other: CalendarDate): boolean {
    return this.compare(other) < 0;
  }

  isAfter(other: CalendarDate): boolean {
    return this.compare(other) > 0;
  }

  equals(other: CalendarDate): boolean {
    return this.compare(other) === 0;
  }

  toString(): string {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }

  toJSON(): string {
    return this.toString();
  }

  private static problemWith(year: number, month: number, day: number): string | undefined {
    if (![year, month, day].every(Number.isInteger)) return 'year, month and day must be whole numbers';
    // Four-digit years keep the text form fixed-width, so dates also sort correctly as strings.
    if (year < 1 || year > 9999) return 'the year must be between 0001 and 9999';
    if (month < 1 || month > 12) return 'the month must be between 01 and 12';
    if (day < 1 || day > daysInMonth(year, month)) return 'that month has no such day';
    return undefined;
  }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact integer arithmetic on the proleptic
// Gregorian calendar, so no Date object (and no host time zone) is involved.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}
