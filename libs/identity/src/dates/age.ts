import type { CalendarDate, LeapDayAnniversary } from './calendar-date.js';

/**
 * Completed years of age on `at`: a person turns N on their Nth birthday, not the day after. A date
 * before the birth is an error in the caller, so it throws rather than answering a negative age.
 */
export function ageAt(
  birthDate: CalendarDate,
  at: CalendarDate,
  leapDay: LeapDayAnniversary = 'february-28',
): number {
  if (at.isBefore(birthDate)) throw new RangeError('an age was asked for a day before the birth');
  let age = at.year - birthDate.year;
  if (birthDate.plusYears(age, leapDay).isAfter(at)) age -= 1;
  return age;
}

/** The day a person born on `birthDate` turns `age`. */
export function birthdayAtAge(
  birthDate: CalendarDate,
  age: number,
  leapDay: LeapDayAnniversary = 'february-28',
): CalendarDate {
  return birthDate.plusYears(age, leapDay);
}
