import { CalendarDate, type LeapDayAnniversary } from '../dates/calendar-date.js';

/**
 * How long a chip identity card issued under one law stays valid. A card keeps the validity it was
 * issued with, so the rule is chosen by issue date and old rules stay in the table for old cards.
 */
export interface CardValidityRule {
  readonly id: string;
  readonly legalBasis: string;
  /** The rule governs cards issued on or after this day, until the next rule's day. */
  readonly appliesToCardsIssuedFrom: CalendarDate;
  /** Ages at which the card must be renewed, ascending; the card expires on that birthday. */
  readonly renewalAges: readonly number[];
  /**
   * A card issued this many years or less before a renewal age stays valid until the next one. Read
   * as an age: the window opens on the birthday at (renewal age − grace), that day included, so a
   * card issued on the 23rd birthday runs to 40 (*unverified* against a ruling). For someone born on
   * 29 February this differs by a day from subtracting two years from the renewal birthday.
   */
  readonly graceYearsBeforeRenewal: number;
  /** Youngest age at which this law issues a card. */
  readonly minimumAgeAtIssue: number;
  readonly leapDayAnniversary: LeapDayAnniversary;
}

/** Oldest first. A new law is one more entry; nothing else changes. */
export const CARD_VALIDITY_RULES: readonly CardValidityRule[] = [
  {
    // Luật Căn cước công dân 2014, Article 21; cards from age 14 (Article 19).
    id: 'citizen-identification-law-2014',
    legalBasis: 'Law on Citizen Identification No. 59/2014/QH13, Article 21',
    appliesToCardsIssuedFrom: CalendarDate.of(2016, 1, 1),
    renewalAges: [25, 40, 60],
    graceYearsBeforeRenewal: 2,
    minimumAgeAtIssue: 14,
    leapDayAnniversary: 'february-28',
  },
  {
    // Luật Căn cước 2023, Article 21; children under 14 may be issued a card on request (Article 19).
    id: 'identification-law-2023',
    legalBasis: 'Law on Identification No. 26/2023/QH15, Article 21',
    appliesToCardsIssuedFrom: CalendarDate.of(2024, 7, 1),
    renewalAges: [14, 25, 40, 60],
    graceYearsBeforeRenewal: 2,
    minimumAgeAtIssue: 0,
    leapDayAnniversary: 'february-28',
  },
];
