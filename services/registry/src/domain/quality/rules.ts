import { CalendarDate, ageAt, nameComparisonKey } from '@cancuoc/identity';
import type { CitizenRecord } from '../citizen/state.js';

/** A data-quality problem of one record, as the register's review queue shows it. */
export interface QualityIssue {
  readonly kind: 'INCOMPLETE' | 'VERIFICATION_DISCREPANCY' | 'ADDRESS_NEEDS_RECODING';
  readonly detail: string;
}

/** Age under which the register expects the parents to be recorded (a birth registration names them). */
const PARENTS_EXPECTED_UNDER = 18;

/** Completeness and consistency of one record ("đủ, đúng"): what a clerk must still record or check. */
export function qualityIssues(record: CitizenRecord, today: CalendarDate, deceased: boolean): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (!deceased && record.permanentResidence === null) {
    issues.push({ kind: 'INCOMPLETE', detail: 'no permanent residence is registered' });
  }
  const age = ageAt(CalendarDate.parse(record.birthDate), today);
  if (age < PARENTS_EXPECTED_UNDER && record.fatherCitizenId === null && record.motherCitizenId === null) {
    issues.push({ kind: 'INCOMPLETE', detail: 'a minor with no parent recorded' });
  }
  if (record.lastVerificationOutcome === 'discrepancy') {
    issues.push({ kind: 'VERIFICATION_DISCREPANCY', detail: 'the last verification found a discrepancy' });
  }
  return issues;
}

/** The full name as searches and duplicate checks compare it: no case, no diacritics. */
export function nameKey(record: CitizenRecord): string {
  const { familyName, middleName, givenName } = record.name;
  return nameComparisonKey(`${familyName} ${middleName} ${givenName}`);
}

/**
 * Records with the same key are probably one person registered twice ("sạch"): same normalised name,
 * birth date, birthplace and parents. They are flagged for review, never merged automatically.
 */
export function duplicateKey(record: CitizenRecord): string {
  return [
    nameKey(record),
    record.birthDate,
    record.birthPlace.communeCode,
    record.fatherCitizenId ?? '-',
    record.motherCitizenId ?? '-',
  ].join('|');
}

/** A record is stale ("sống") when neither verified nor registered within `period` days. */
export function isStale(record: CitizenRecord, today: CalendarDate, periodDays: number): boolean {
  const last = CalendarDate.parse(record.lastVerifiedOn ?? record.registeredOn);
  return today.toEpochDay() - last.toEpochDay() > periodDays;
}
