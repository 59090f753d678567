import type { Database } from '@cancuoc/eventstore';
import { IdempotentConsumer, type Transport } from '@cancuoc/messaging';
import { CARD_PRODUCTION_CARD_TOPIC, CardStatus, payloadRegistry, type CardChanged } from '@cancuoc/proto';
import type { CardStatusName } from '../application/card-history.js';
import type { Enrollment } from '../application/enrollment.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The consumer group and inbox name, `<service>.<purpose>` (the Kafka ACLs grant enrollment's groups
 * by prefix): stable forever, or every card event is delivered again.
 */
export const CARD_CONSUMER = 'enrollment.cards';

/**
 * Card production's `CardChanged` events into enrollment, exactly once each (inbox row in the
 * effect's transaction): the card is recorded for eligibility and the application's view, and its
 * application is completed (delivered, activated) or cancelled (the card job was cancelled).
 */
export function cardChangesConsumer(
  enrollment: Enrollment,
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
      const changed = event.data as CardChanged;
      const card = changed.card;
      const status = card
        ? (CardStatus[card.status] as CardStatusName | 'UNSPECIFIED' | undefined)
        : undefined;
      if (!card || !status || status === 'UNSPECIFIED' || !UUID.test(card.applicationId)) return;
      await enrollment.recordCardChange(
        tx,
        {
          cardId: changed.cardId,
          applicationId: card.applicationId,
          citizenId: card.citizenId,
          status,
          issueDate: card.issueDate,
          expiryDate: card.expiryDate,
          version: Number(changed.cardVersion),
        },
        {
          actor: 'service:card-production',
          ...(event.correlationId &&
            UUID.test(event.correlationId) && { correlationId: event.correlationId }),
          ...(event.traceparent && { traceparent: event.traceparent }),
        },
      );
    },
  });
}
