import type { SqlExecutor } from '@cancuoc/eventstore';

/** A card as card production reports it (`CardChanged`), kept beside the citizen's record. */
export interface CardSummary {
  readonly cardId: string;
  readonly documentNumber: string;
  /** Card production's status name, e.g. `ENCODED`, `DELIVERED`, `REVOKED`. */
  readonly status: string;
  /** YYYY-MM-DD; null until personalised. */
  readonly issueDate: string | null;
  /** YYYY-MM-DD; null when the card does not expire (or is not yet personalised). */
  readonly expiryDate: string | null;
  readonly changedAt: string | null;
}

export interface CardChange extends CardSummary {
  readonly citizenId: string;
  readonly version: number;
}

/**
 * Records a card's new state, unless the register already holds a later one: events of one card
 * arrive in order per key, but a redelivery or a replay may bring an older one again.
 */
export async function recordCardChange(executor: SqlExecutor, change: CardChange): Promise<void> {
  await executor.query(
    `INSERT INTO reg_cards (card_id, citizen_id, document_number, status, issue_date, expiry_date, changed_at, card_version)
     VALUES ($1, $2::uuid, $3, $4, $5::date, $6::date, $7::timestamptz, $8)
     ON CONFLICT (card_id) DO UPDATE SET
       document_number = EXCLUDED.document_number, status = EXCLUDED.status,
       issue_date = EXCLUDED.issue_date, expiry_date = EXCLUDED.expiry_date,
       changed_at = EXCLUDED.changed_at, card_version = EXCLUDED.card_version
     WHERE reg_cards.card_version < EXCLUDED.card_version`,
    [
      change.cardId,
      change.citizenId,
      change.documentNumber,
      change.status,
      change.issueDate,
      change.expiryDate,
      change.changedAt,
      change.version,
    ],
  );
}

/**
 * The SQL of a citizen's cards as one JSON array, newest issue first, for a query that reads the
 * record: `p.citizen_id` names the citizen.
 */
export const CARDS_OF_CITIZEN_SQL = `(SELECT json_agg(json_build_object(
    'cardId', c.card_id, 'documentNumber', c.document_number, 'status', c.status,
    'issueDate', to_char(c.issue_date, 'YYYY-MM-DD'), 'expiryDate', to_char(c.expiry_date, 'YYYY-MM-DD'),
    'changedAt', to_char(c.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    ORDER BY c.issue_date DESC NULLS LAST, c.card_id)
  FROM reg_cards c WHERE c.citizen_id = p.citizen_id)`;
