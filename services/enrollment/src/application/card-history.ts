import type { SqlExecutor, Tx } from '@cancuoc/eventstore';
import type { CardHistory, KnownCard } from '../domain/application/eligibility.js';

/** Card production's statuses, by their CardStatus names. */
export type CardStatusName =
  | 'QUEUED'
  | 'ENCODING'
  | 'ENCODED'
  | 'QUALITY_CHECKED'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'ACTIVATED'
  | 'MANUAL_HANDLING'
  | 'CANCELLED'
  | 'REVOKED';

export interface CardReport {
  readonly cardId: string;
  readonly applicationId: string;
  readonly citizenId: string;
  readonly status: CardStatusName;
  /** YYYY-MM-DD, or empty before issue. */
  readonly issueDate: string;
  /** YYYY-MM-DD; empty when the card does not expire. */
  readonly expiryDate: string;
  readonly version: number;
}

/** Keeps the newest report of each card; an older version arriving late changes nothing. */
export async function recordCard(tx: Tx, card: CardReport): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO enr_cards (card_id, application_id, citizen_id, status, issue_date, expiry_date, card_version, changed_at)
     VALUES ($1, $2, $3, $4, NULLIF($5, '')::date, $6, $7, now())
     ON CONFLICT (card_id) DO UPDATE SET status = EXCLUDED.status, issue_date = EXCLUDED.issue_date,
       expiry_date = EXCLUDED.expiry_date, card_version = EXCLUDED.card_version, changed_at = now()
     WHERE enr_cards.card_version < EXCLUDED.card_version
     RETURNING 1`,
    [
      card.cardId,
      card.applicationId,
      card.citizenId,
      card.status,
      card.issueDate,
      card.expiryDate,
      card.version,
    ],
  );
  return rows.length === 1;
}

function known(status: CardStatusName, expiryDate: string): KnownCard | null {
  switch (status) {
    case 'CANCELLED':
      return null;
    case 'DELIVERED':
    case 'ACTIVATED':
      return { status: 'issued', expiryDate };
    case 'REVOKED':
      return { status: 'revoked', expiryDate };
    case 'QUEUED':
    case 'ENCODING':
    case 'ENCODED':
    case 'QUALITY_CHECKED':
    case 'SHIPPED':
    case 'MANUAL_HANDLING':
      return { status: 'in-production', expiryDate };
    default: {
      const unknown: never = status;
      throw new Error(`unknown card status ${String(unknown)}`);
    }
  }
}

/** The citizen's latest card (cancelled jobs aside) and the printed data it was made from. */
export async function cardHistory(db: SqlExecutor, citizenId: string): Promise<CardHistory> {
  const [row] = await db.query<{ status: CardStatusName; expiry_date: string; printed_data: string | null }>(
    `SELECT c.status, c.expiry_date, a.printed_data
     FROM enr_cards c LEFT JOIN enr_applications a ON a.application_id::text = c.application_id
     WHERE c.citizen_id = $1 AND c.status <> 'CANCELLED'
     ORDER BY c.issue_date DESC NULLS FIRST, c.changed_at DESC LIMIT 1`,
    [citizenId],
  );
  if (!row) return { currentCard: null, currentCardData: null };
  return { currentCard: known(row.status, row.expiry_date), currentCardData: row.printed_data };
}

/** A card as far as replacing it matters: whose it is and where it is in its life. */
export interface CardOwner {
  /** The register's record id of the holder, as card production reported it. */
  readonly citizenId: string;
  readonly status: CardStatusName;
  /** The personal id number of the application the card was made from, when it was made here. */
  readonly personalId: string | null;
}

/**
 * Whose card `cardId` is, from card production's events (`enr_cards`, its holder fixed by the first
 * report), or undefined when enrollment has heard of no such card.
 */
export async function cardOwner(db: SqlExecutor, cardId: string): Promise<CardOwner | undefined> {
  const [row] = await db.query<{ citizen_id: string; status: CardStatusName; personal_id: string | null }>(
    `SELECT c.citizen_id, c.status, a.personal_id
     FROM enr_cards c LEFT JOIN enr_applications a ON a.application_id::text = c.application_id
     WHERE c.card_id = $1`,
    [cardId],
  );
  return row && { citizenId: row.citizen_id, status: row.status, personalId: row.personal_id };
}
