import { ageAt, birthdayAtAge } from '../dates/age.js';
import type { CalendarDate } from '../dates/calendar-date.js';
import { CardValidityError } from '../errors.js';
import { CARD_VALIDITY_RULES, type CardValidityRule } from './validity-rules.js';

/**
 * How long a card is valid. A card issued after the last renewal age (or within the grace window
 * before it) never expires; how that is written in the MRZ expiry field is *unverified* and left to
 * the MRZ encoder, which receives this `no-expiry` value rather than a made-up far-future date.
 */
export type CardValidity =
  | {
      readonly kind: 'expires';
      /** The last day the card is valid: the holder's birthday at `renewalAge`. */
      readonly validUntil: CalendarDate;
      readonly renewalAge: number;
      readonly ruleId: string;
    }
  | { readonly kind: 'no-expiry'; readonly ruleId: string };

export interface CardIssue {
  readonly birthDate: CalendarDate;
  readonly issueDate: CalendarDate;
}

/** The rule in force on the issue date, or undefined for a date before any chip-card law. */
export function selectCardValidityRule(
  issueDate: CalendarDate,
  rules: readonly CardValidityRule[] = CARD_VALIDITY_RULES,
): CardValidityRule | undefined {
  let chosen: CardValidityRule | undefined;
  for (const rule of rules) {
    if (rule.appliesToCardsIssuedFrom.isAfter(issueDate)) continue;
    if (!chosen || rule.appliesToCardsIssuedFrom.isAfter(chosen.appliesToCardsIssuedFrom)) chosen = rule;
  }
  return chosen;
}

/**
 * The validity of a card issued on `issueDate` to someone born on `birthDate`: it runs to the next
 * renewal age, skipping one whose birthday is at most `graceYearsBeforeRenewal` years away.
 */
export function cardValidity(
  { birthDate, issueDate }: CardIssue,
  rules: readonly CardValidityRule[] = CARD_VALIDITY_RULES,
): CardValidity {
  if (issueDate.isBefore(birthDate)) {
    throw new CardValidityError([
      {
        field: 'issueDate',
        reason: 'ISSUED_BEFORE_BIRTH',
        description: 'the issue date is before the birth date',
      },
    ]);
  }
  const rule = selectCardValidityRule(issueDate, rules);
  if (!rule) {
    throw new CardValidityError([
      {
        field: 'issueDate',
        reason: 'NO_RULE_FOR_ISSUE_DATE',
        description: 'no card validity rule governs cards issued on that date',
      },
    ]);
  }
  const ageAtIssue = ageAt(birthDate, issueDate, rule.leapDayAnniversary);
  if (ageAtIssue < rule.minimumAgeAtIssue) {
    throw new CardValidityError([
      {
        field: 'issueDate',
        reason: 'BELOW_MINIMUM_AGE',
        description: `under ${rule.legalBasis} cards are issued from age ${rule.minimumAgeAtIssue}`,
      },
    ]);
  }
  const renewalAge = rule.renewalAges.find((age) => ageAtIssue < age - rule.graceYearsBeforeRenewal);
  if (renewalAge === undefined) return { kind: 'no-expiry', ruleId: rule.id };
  return {
    kind: 'expires',
    validUntil: birthdayAtAge(birthDate, renewalAge, rule.leapDayAnniversary),
    renewalAge,
    ruleId: rule.id,
  };
}

/** Whether a card with this validity may still be used on `date` (its last day included). */
export function isCardValidOn(validity: CardValidity, date: CalendarDate): boolean {
  return validity.kind === 'no-expiry' || !date.isAfter(validity.validUntil);
}
