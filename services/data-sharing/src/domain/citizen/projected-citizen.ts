import type { ReceivedEvent } from './events.js';
import type { CardFacts, EnrolmentFacts, RecordFacts } from './facts.js';

/**
 * The internal citizen projection's state of one citizen: the register's latest record, and the
 * citizen's cards and enrolments. Card and enrolment events may arrive before the record (they
 * travel on other topics), so a citizen can exist without one; agencies see nobody without a record.
 */
export interface ProjectedCitizen {
  readonly citizenId: string;
  /** The register's version of `record`; 0 before the first record arrives. */
  readonly recordVersion: number;
  readonly record: RecordFacts | null;
  readonly cards: Readonly<Record<string, CardFacts>>;
  readonly enrolments: Readonly<Record<string, EnrolmentFacts>>;
}

export function newCitizen(citizenId: string): ProjectedCitizen {
  return { citizenId, recordVersion: 0, record: null, cards: {}, enrolments: {} };
}

/**
 * Applies one received event. Each source says the whole state of its aggregate with a version
 * that only grows, so a change older than (or as old as) the one held is ignored: redeliveries and
 * out-of-order arrivals leave the state as it was.
 */
export function evolveCitizen(citizen: ProjectedCitizen, event: ReceivedEvent): ProjectedCitizen {
  switch (event.type) {
    case 'RegistryRecordReceived':
      if (event.data.recordVersion <= citizen.recordVersion) return citizen;
      return { ...citizen, recordVersion: event.data.recordVersion, record: event.data.record };
    case 'CardReceived': {
      const card = event.data.card;
      if ((citizen.cards[card.cardId]?.cardVersion ?? 0) >= card.cardVersion) return citizen;
      return { ...citizen, cards: { ...citizen.cards, [card.cardId]: card } };
    }
    case 'EnrolmentReceived': {
      const enrolment = event.data.enrolment;
      const held = citizen.enrolments[enrolment.applicationId];
      if ((held?.applicationVersion ?? 0) >= enrolment.applicationVersion) return citizen;
      return { ...citizen, enrolments: { ...citizen.enrolments, [enrolment.applicationId]: enrolment } };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown received event ${(unknown as ReceivedEvent).type}`);
    }
  }
}

/** Statuses of a card that has left production and been issued to its holder. */
const ISSUED: ReadonlySet<CardFacts['status']> = new Set(['shipped', 'delivered', 'activated', 'revoked']);

/**
 * The citizen's current card: of the cards issued to them (a card still in production, cancelled
 * or waiting for manual handling is not theirs yet), the one issued last; a revoked one counts, so
 * an agency learns that the latest card was revoked.
 */
export function currentCard(citizen: ProjectedCitizen): CardFacts | null {
  let best: CardFacts | null = null;
  for (const card of Object.values(citizen.cards)) {
    if (!ISSUED.has(card.status)) continue;
    if (best === null || compareIssue(card, best) > 0) best = card;
  }
  return best;
}

function compareIssue(a: CardFacts, b: CardFacts): number {
  if (a.issueDate !== b.issueDate) return a.issueDate < b.issueDate ? -1 : 1;
  if (a.changedAt !== b.changedAt) return a.changedAt < b.changedAt ? -1 : 1;
  return a.cardId < b.cardId ? -1 : a.cardId > b.cardId ? 1 : 0;
}

/** The enrolment behind the current card: the application submitted last. */
export function currentEnrolment(citizen: ProjectedCitizen): EnrolmentFacts | null {
  let best: EnrolmentFacts | null = null;
  for (const enrolment of Object.values(citizen.enrolments)) {
    if (!enrolment.submitted) continue;
    if (
      best === null ||
      enrolment.submittedAt > best.submittedAt ||
      (enrolment.submittedAt === best.submittedAt && enrolment.applicationId > best.applicationId)
    )
      best = enrolment;
  }
  return best;
}
