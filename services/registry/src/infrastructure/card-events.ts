import type { Database } from '@cancuoc/eventstore';
import { IdempotentConsumer, type Transport } from '@cancuoc/messaging';
import { CARD_PRODUCTION_CARD_TOPIC, CardStatus, payloadRegistry, type CardChanged } from '@cancuoc/proto';
import { recordCardChange } from '../application/cards.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Consumer group and inbox name, `<service>.<purpose>`: stable forever. */
export const CARD_CONSUMER = 'registry.cards';

/**
 * Card production's `CardChanged` events into `reg_cards`, each once (inbox row in the effect's
 * transaction), so the register shows every citizen's cards and their state. An event naming no
 * register record, or no known status, changes nothing.
 */
export function cardChangesConsumer(
  db: Database,
  transport: Transport,
  onError?: (error: unknown) => void,
): IdempotentConsumer {
  return new IdempotentConsumer({
    subscriber: CARD_CONSUMER,
    transport,
    db,
    topics: [CARD_PRODUCTION_CARD_TOPIC.name],
    types: payloadRegistry([CARD_PRODUCTION_CARD_TOPIC]),
    ...(onError && { onError }),
    handle: async (event, tx) => {
      const { cardId, cardVersion, card } = event.data as CardChanged;
      const status = card ? CardStatus[card.status] : undefined;
      if (!card || !cardId || !UUID.test(card.citizenId) || !status || status === 'UNSPECIFIED') return;
      await recordCardChange(tx, {
        cardId,
        citizenId: card.citizenId,
        documentNumber: card.documentNumber,
        status,
        issueDate: DATE.test(card.issueDate) ? card.issueDate : null,
        expiryDate: DATE.test(card.expiryDate) ? card.expiryDate : null,
        changedAt: card.changedAt || null,
        version: Number(cardVersion),
      });
    },
  });
}
