import { create } from '@bufbuild/protobuf';
import type { EventStore, RecordedEvent } from '@cancuoc/eventstore';
import type { IntegrationEvent } from '@cancuoc/messaging';
import { CARD_PRODUCTION_CARD_TOPIC, CardChangedSchema, CardStatus } from '@cancuoc/proto';
import { cardDecider, type CardPolicy } from '../domain/card/decider.js';
import type { CardEvent } from '../domain/card/events.js';
import { isJob, type CardState, type JobStatus } from '../domain/card/state.js';
import { REVOCATION_TO_PROTO } from './card-proto.js';

/** The public status of each job status; a job being personalised has none yet. */
const PUBLIC_STATUS: Readonly<Record<JobStatus, CardStatus | undefined>> = {
  personalising: undefined,
  queued: CardStatus.QUEUED,
  encoding: CardStatus.ENCODING,
  encoded: CardStatus.ENCODED,
  'quality-checked': CardStatus.QUALITY_CHECKED,
  shipped: CardStatus.SHIPPED,
  delivered: CardStatus.DELIVERED,
  activated: CardStatus.ACTIVATED,
  'manual-handling': CardStatus.MANUAL_HANDLING,
  cancelled: CardStatus.CANCELLED,
  revoked: CardStatus.REVOKED,
};

const CACHED_STATES = 20_000;

/**
 * Card production's domain events as `CardChanged` on `internal.cardproduction.card.v1`: one record
 * per change of the card's public status (a lease extended or a chip voided is no news to enrollment
 * or agencies), carrying the card as of that event. The state is folded from the stream; the last
 * state of recently changed cards is kept, so a burst of changes reads a stream once.
 */
export class CardIntegrationEvents {
  private readonly decider;
  private readonly states = new Map<string, { version: number; state: CardState }>();

  constructor(
    private readonly store: EventStore,
    policy: CardPolicy,
  ) {
    this.decider = cardDecider(policy);
  }

  async map(events: readonly RecordedEvent[]): Promise<IntegrationEvent[][]> {
    const out: IntegrationEvent[][] = [];
    for (const event of events) {
      if (!event.streamId.startsWith('card-')) {
        out.push([]);
        continue;
      }
      const before = await this.stateBefore(event);
      const after = this.decider.evolve(before, event as unknown as CardEvent);
      this.remember(event.streamId, event.streamVersion, after);
      const status = isJob(after) ? PUBLIC_STATUS[after.status] : undefined;
      const previous = isJob(before) ? PUBLIC_STATUS[before.status] : undefined;
      if (!isJob(after) || status === undefined || status === previous) {
        out.push([]);
        continue;
      }
      const cardId = event.streamId.slice('card-'.length);
      out.push([
        {
          topic: CARD_PRODUCTION_CARD_TOPIC.name,
          schema: CardChangedSchema,
          subject: cardId,
          data: create(CardChangedSchema, {
            cardId,
            cardVersion: BigInt(event.streamVersion),
            card: {
              cardId,
              applicationId: after.request.applicationId,
              citizenId: after.request.citizenId,
              documentNumber: after.personalisation?.documentNumber ?? '',
              status,
              issueDate: after.personalisation?.issueDate ?? '',
              expiryDate: after.personalisation?.expiryDate ?? '',
              chipSerial: after.encoding?.chipSerial ?? '',
              documentSignerKeyId: after.personalisation?.documentSignerKeyId ?? '',
              revocationReason: after.revocation ? REVOCATION_TO_PROTO[after.revocation.reason] : 0,
              changedAt: after.changedAt,
            },
          }),
        },
      ]);
    }
    return out;
  }

  private async stateBefore(event: RecordedEvent): Promise<CardState> {
    if (event.streamVersion === 1) return this.decider.initialState();
    const known = this.states.get(event.streamId);
    if (known?.version === event.streamVersion - 1) return known.state;
    const { events } = await this.store.readStream(event.streamId);
    return events
      .filter((e) => e.streamVersion < event.streamVersion)
      .reduce((s, e) => this.decider.evolve(s, e as unknown as CardEvent), this.decider.initialState());
  }

  private remember(streamId: string, version: number, state: CardState): void {
    this.states.delete(streamId);
    this.states.set(streamId, { version, state });
    if (this.states.size > CACHED_STATES) this.states.delete(this.states.keys().next().value!);
  }
}
