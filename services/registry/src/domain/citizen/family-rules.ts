import { ageAt, CalendarDate } from '@cancuoc/identity';
import type { RuleViolation } from './errors.js';
import type { MaritalStatus, Sex } from './events.js';

/**
 * The ages family rules turn on, configurable (`REGISTRY_MIN_PARENT_AGE_YEARS`,
 * `REGISTRY_MARRIAGE_AGE_MEN`, `REGISTRY_MARRIAGE_AGE_WOMEN`) so that a change of law, or a ruling
 * on the parent's age, is a setting rather than a release.
 */
export interface FamilyRules {
  /**
   * A parent is born at least this many years before the child. No law sets it: it is a
   * plausibility bound for the register (*unverified* as policy; default 12), low enough never to
   * refuse a real parent and high enough to refuse a child, a sibling or a typo as one.
   */
  readonly minParentAgeYears: number;
  /**
   * The age from which one may marry: men from 20, women from 18 (Law on Marriage and Family
   * 52/2014/QH13, art. 8.1.a: "Nam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên"), reached on the
   * birthday, on the day the marriage took effect.
   */
  readonly marriageAge: Readonly<Record<Sex, number>>;
}

export const DEFAULT_FAMILY_RULES: FamilyRules = Object.freeze({
  minParentAgeYears: 12,
  marriageAge: Object.freeze({ male: 20, female: 18 }),
});

/** What the family rules need to know of another record, as the register holds it now. */
export interface RelativeFacts {
  readonly deceased: boolean;
  readonly record: {
    readonly birthDate: string;
    readonly sex: Sex;
    readonly fatherCitizenId: string | null;
    readonly motherCitizenId: string | null;
    readonly maritalStatus: MaritalStatus;
    readonly spouseCitizenId: string | null;
    readonly dateOfDeath: string | null;
  };
}

/**
 * The records a command names and their kin, loaded by the application before it decides (the
 * decider reads nothing itself). `records` holds, by citizen id, every registered record among the
 * parents or spouse the command names — an id missing from it is not registered — and, for a
 * marriage, the parents and grandparents of both spouses that the register knows.
 */
export interface Relatives {
  /** The id of the record the command is for (for a registration, the id it will have). */
  readonly self: string;
  readonly records: ReadonlyMap<string, RelativeFacts>;
}

const PARENT_ROLES = [
  { field: 'fatherCitizenId', sex: 'male', role: 'a father' },
  { field: 'motherCitizenId', sex: 'female', role: 'a mother' },
] as const;

/**
 * Why the parents a registration or `RecordParents` names cannot be the parents of a child born on
 * `childBirthDate` (empty when they can). Per parent named: registered (`PARENT_NOT_FOUND`), not the
 * child's own record (`PARENT_IS_CITIZEN`), born at least `minParentAgeYears` before the child
 * (`PARENT_TOO_YOUNG`), of the sex the role needs — the register records sex, and the law names a
 * father and a mother (`PARENT_SEX_MISMATCH`); and not one record as both (`SAME_PARENT_TWICE`).
 * Descriptions name the rule, never the records or their data.
 */
export function parentViolations(
  childBirthDate: CalendarDate,
  parents: { readonly fatherCitizenId: string | null; readonly motherCitizenId: string | null },
  relatives: Relatives,
  rules: FamilyRules = DEFAULT_FAMILY_RULES,
): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const same = parents.fatherCitizenId !== null && parents.fatherCitizenId === parents.motherCitizenId;
  if (same) {
    violations.push({
      type: 'SAME_PARENT_TWICE',
      subject: 'motherCitizenId',
      description: 'the father and the mother are one record',
    });
  }
  for (const { field, sex, role } of PARENT_ROLES) {
    const id = parents[field];
    if (id === null || (same && field === 'motherCitizenId')) continue;
    if (id === relatives.self) {
      violations.push({
        type: 'PARENT_IS_CITIZEN',
        subject: field,
        description: 'a citizen is not their own parent',
      });
      continue;
    }
    const parent = relatives.records.get(id);
    if (!parent) {
      violations.push({
        type: 'PARENT_NOT_FOUND',
        subject: field,
        description: 'no citizen record has this id',
      });
      continue;
    }
    if (parent.record.sex !== sex) {
      violations.push({
        type: 'PARENT_SEX_MISMATCH',
        subject: field,
        description: `the record named as ${role} is not of the sex the register records for ${role}`,
      });
    }
    const oldEnough = CalendarDate.parse(parent.record.birthDate).plusYears(rules.minParentAgeYears);
    if (oldEnough.isAfter(childBirthDate)) {
      violations.push({
        type: 'PARENT_TOO_YOUNG',
        subject: field,
        description: `a parent is born at least ${rules.minParentAgeYears} years before the child`,
      });
    }
  }
  return violations;
}

/** A citizen as the marriage rules see them: their record's id, sex, birth and parents. */
export interface Spouse {
  readonly citizenId: string;
  readonly record: RelativeFacts['record'];
}

/**
 * Why `citizen` cannot be recorded as married to the record `spouseId` from `since` (empty when
 * they can), after the Law on Marriage and Family 2014, arts. 5 and 8: not to oneself
 * (`MARRIAGE_TO_SELF`); to a registered record (`SPOUSE_NOT_FOUND`) alive on that day
 * (`SPOUSE_DECEASED`) and not married to someone else (`SPOUSE_MARRIED`); both of marriageable age
 * on that day (`UNDER_MARRIAGE_AGE`, subject `citizen` or `spouseCitizenId`); and not close
 * relatives as far as the register records them (`CLOSE_RELATIVES`): in the direct line (parent,
 * grandparent), or sharing a parent or a grandparent (siblings, half-siblings, first cousins, an
 * uncle or aunt and a niece or nephew — "within three generations").
 */
export function marriageViolations(
  citizen: Spouse,
  spouseId: string,
  since: CalendarDate,
  relatives: Relatives,
  rules: FamilyRules = DEFAULT_FAMILY_RULES,
): RuleViolation[] {
  if (spouseId === citizen.citizenId) {
    return [
      {
        type: 'MARRIAGE_TO_SELF',
        subject: 'spouseCitizenId',
        description: 'a citizen cannot marry themself',
      },
    ];
  }
  const found = relatives.records.get(spouseId);
  if (!found) {
    return [
      { type: 'SPOUSE_NOT_FOUND', subject: 'spouseCitizenId', description: 'no citizen record has this id' },
    ];
  }
  const spouse: Spouse = { citizenId: spouseId, record: found.record };
  const violations: RuleViolation[] = [];
  const death = spouse.record.dateOfDeath;
  if (death !== null && !CalendarDate.parse(death).isAfter(since)) {
    violations.push({
      type: 'SPOUSE_DECEASED',
      subject: 'spouseCitizenId',
      description: 'the spouse had died by the day of the marriage',
    });
  }
  if (spouse.record.maritalStatus === 'married' && spouse.record.spouseCitizenId !== citizen.citizenId) {
    violations.push({
      type: 'SPOUSE_MARRIED',
      subject: 'spouseCitizenId',
      description: 'the spouse is recorded as married to someone else',
    });
  }
  for (const [who, subject] of [
    [citizen, 'citizen'],
    [spouse, 'spouseCitizenId'],
  ] as const) {
    const birth = CalendarDate.parse(who.record.birthDate);
    const age = rules.marriageAge[who.record.sex];
    if (since.isBefore(birth) || ageAt(birth, since) < age) {
      violations.push({
        type: 'UNDER_MARRIAGE_AGE',
        subject,
        description: `the law allows marriage from ${rules.marriageAge.male} for men and ${rules.marriageAge.female} for women`,
      });
    }
  }
  if (closeRelatives(citizen, spouse, relatives)) {
    violations.push({
      type: 'CLOSE_RELATIVES',
      subject: 'spouseCitizenId',
      description:
        'the register records the two as relatives in the direct line or within three generations, between whom marriage is forbidden',
    });
  }
  return violations;
}

function parentsOf(record: RelativeFacts['record'] | undefined): string[] {
  return record ? [record.fatherCitizenId, record.motherCitizenId].filter((id) => id !== null) : [];
}

/** Parents and grandparents the register records. */
function ancestry(person: Spouse, relatives: Relatives): { parents: Set<string>; both: Set<string> } {
  const parents = parentsOf(person.record);
  const grandparents = parents.flatMap((p) => parentsOf(relatives.records.get(p)?.record));
  return { parents: new Set(parents), both: new Set([...parents, ...grandparents]) };
}

function closeRelatives(a: Spouse, b: Spouse, relatives: Relatives): boolean {
  const ofA = ancestry(a, relatives);
  const ofB = ancestry(b, relatives);
  if (ofA.both.has(b.citizenId) || ofB.both.has(a.citizenId)) return true;
  return [...ofA.both].some((id) => ofB.both.has(id));
}
