import { CalendarDate, ageAt, birthdayAtAge, selectCardValidityRule } from '@cancuoc/identity';
import { printedData, type CitizenData } from './citizen-data.js';
import type { ApplicationReason } from './events.js';

/** A card card production reported for the citizen, as far as eligibility cares. */
export interface KnownCard {
  readonly status: 'in-production' | 'issued' | 'revoked';
  /** YYYY-MM-DD; empty when the card does not expire (issued at 58 or later). */
  readonly expiryDate: string;
}

/** What enrollment knows of the citizen's cards, from card production's events. */
export interface CardHistory {
  /** The latest card made for the citizen, cancelled jobs aside; null when none is known. */
  readonly currentCard: KnownCard | null;
  /** `printedData` of the register data the current card was made from, when it was made here. */
  readonly currentCardData: string | null;
}

export const NO_CARD_HISTORY: CardHistory = { currentCard: null, currentCardData: null };

export interface Ineligibility {
  readonly rule: string;
  readonly description: string;
}

/**
 * Whether the citizen may apply for a card for `reason` today (Law on Identification 2023,
 * Articles 19–24, through the validity rule table of libs/identity): the minimum age of the law in
 * force; no first issue for someone who has a card; renewal from the two-year window before the
 * current card's renewal birthday (or, when enrollment knows no card, before a renewal age); no
 * replacement of a card still being made; a "changed data" card only when the printed data changed.
 */
export function ineligibility(
  reason: ApplicationReason,
  citizen: CitizenData,
  today: CalendarDate,
  history: CardHistory,
): Ineligibility | undefined {
  const rule = selectCardValidityRule(today);
  if (!rule) return { rule: 'NO_CARD_LAW_IN_FORCE', description: 'no card law governs cards issued today' };
  const birthDate = CalendarDate.parse(citizen.birthDate, 'birthDate');
  if (
    today.isBefore(birthDate) ||
    ageAt(birthDate, today, rule.leapDayAnniversary) < rule.minimumAgeAtIssue
  ) {
    return {
      rule: 'BELOW_MINIMUM_AGE',
      description: `cards are issued from age ${rule.minimumAgeAtIssue} (${rule.legalBasis})`,
    };
  }
  const card = history.currentCard;
  if (card?.status === 'in-production' && reason !== 'first-issue') {
    return {
      rule: 'CARD_IN_PRODUCTION',
      description: 'a card for this citizen is still being made; wait for it before applying again',
    };
  }
  switch (reason) {
    case 'first-issue':
      return card
        ? {
            rule: 'CARD_ALREADY_ISSUED',
            description:
              'the citizen already has a card: apply for a renewal, a lost or damaged card, or changed data',
          }
        : undefined;
    case 'renewal':
      return renewal(birthDate, today, rule, card);
    case 'lost':
    case 'damaged':
      return undefined;
    case 'personal-data-changed':
      return history.currentCardData !== null && history.currentCardData === printedData(citizen)
        ? {
            rule: 'PRINTED_DATA_UNCHANGED',
            description: 'the register data printed on the card has not changed since the current card',
          }
        : undefined;
    default: {
      const unknown: never = reason;
      throw new Error(`unknown application reason ${String(unknown)}`);
    }
  }
}

function renewal(
  birthDate: CalendarDate,
  today: CalendarDate,
  rule: NonNullable<ReturnType<typeof selectCardValidityRule>>,
  card: KnownCard | null,
): Ineligibility | undefined {
  const grace = rule.graceYearsBeforeRenewal;
  if (card) {
    if (card.expiryDate === '') {
      return { rule: 'NO_RENEWAL_DUE', description: 'the current card does not expire' };
    }
    const opens = CalendarDate.parse(card.expiryDate, 'expiryDate').plusYears(
      -grace,
      rule.leapDayAnniversary,
    );
    return today.isBefore(opens)
      ? {
          rule: 'RENEWAL_TOO_EARLY',
          description: `a card is renewed from ${grace} years before it expires`,
        }
      : undefined;
  }
  // No card known here (issued before this platform): the window opens before the first renewal age.
  const first = rule.renewalAges[0];
  if (first === undefined) return undefined;
  return today.isBefore(birthdayAtAge(birthDate, first - grace, rule.leapDayAnniversary))
    ? {
        rule: 'RENEWAL_TOO_EARLY',
        description: `renewal opens ${grace} years before age ${first}`,
      }
    : undefined;
}
