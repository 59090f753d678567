import { newEventId, type EventStore, type Tx } from '@cancuoc/eventstore';
import type { CardCommand } from '../domain/card/commands.js';
import { CardNotFoundError, CardRuleViolationError } from '../domain/card/errors.js';
import type { RevocationReason } from '../domain/card/events.js';
import type { CardJob } from '../domain/card/state.js';
import { CARD_OF_ANOTHER_CITIZEN, holderOfCard } from './application-intake.js';
import type { CardJobs, CommandContext, Executed } from './card-jobs.js';
import type { CardVault, Clock } from './ports.js';

type Without<C> = C extends { type: string; now: string } ? Omit<C, 'now'> : never;
/** The operator's commands, without the instant the service adds. */
export type OperatorCommand = Without<
  Extract<
    CardCommand,
    {
      type:
        | 'RecordQualityCheck'
        | 'ShipCard'
        | 'DeliverCard'
        | 'ActivateCard'
        | 'RevokeCard'
        | 'CancelCard'
        | 'RetryCard';
    }
  >
>;

/** A delivered card's predecessor left as it is, being another citizen's card: ids only. */
export interface RefusedReplacement {
  readonly cardId: string;
  readonly replacesCardId: string;
  readonly reason: typeof CARD_OF_ANOTHER_CITIZEN;
}

/**
 * What operators do to cards. A card delivered in place of an earlier one (renewal, damage, changed
 * data) supersedes it: the earlier card is revoked in the same transaction — if it is the same
 * citizen's; another citizen's is left as it is and `onRefused` told. A reprint makes a new card
 * from the same register data, in the transaction that retires the old one.
 */
export class CardOperations {
  constructor(
    private readonly store: EventStore,
    private readonly jobs: CardJobs,
    private readonly vault: CardVault,
    private readonly clock: Clock,
    private readonly onRequeued: () => void,
    private readonly onRefused: (refusal: RefusedReplacement) => void,
  ) {}

  run(cardId: string, command: OperatorCommand, context: CommandContext): Promise<Executed> {
    return this.store.transaction(async (tx) => {
      const now = this.clock().toISOString();
      const result = await this.jobs.execute(cardId, { ...command, now } as CardCommand, context, tx);
      if (result.events.some((e) => e.type === 'CardDelivered'))
        await this.supersede(result.job, now, context, tx);
      if (result.events.some((e) => e.type === 'CardQueued' || e.type === 'CardRetried'))
        tx.afterCommit(this.onRequeued);
      return result;
    });
  }

  private async supersede(job: CardJob, now: string, context: CommandContext, tx: Tx): Promise<void> {
    const replaced = job.request.replacesCardId;
    if (!replaced || job.request.reason === 'lost') return;
    const holder = await holderOfCard(tx, replaced);
    // A card issued before this service has nothing here to revoke.
    if (holder === undefined) return;
    // Held at intake, this card was produced on an operator's retry, or requested before the check
    // there: either way the other citizen keeps their card, and the refusal is logged.
    if (holder !== job.request.citizenId) {
      const refusal: RefusedReplacement = {
        cardId: job.request.cardId,
        replacesCardId: replaced,
        reason: CARD_OF_ANOTHER_CITIZEN,
      };
      tx.afterCommit(() => this.onRefused(refusal));
      return;
    }
    try {
      await this.jobs.execute(replaced, { type: 'RevokeCard', now, reason: 'superseded' }, context, tx);
    } catch (error) {
      // One already revoked for another reason is left as it is.
      if (!(error instanceof CardNotFoundError || error instanceof CardRuleViolationError)) throw error;
    }
  }

  /**
   * A new card for the same application; the old one is cancelled, or revoked if it was shipped.
   * Asked again (or twice at once), it answers with the one reprint made.
   */
  async reprint(cardId: string, reason: RevocationReason, context: CommandContext): Promise<Executed> {
    try {
      return await this.reprintOnce(cardId, reason, context);
    } catch (error) {
      if (!(error instanceof CardRuleViolationError && error.reason === 'ALREADY_REPRINTED')) throw error;
      return this.existingReprint(cardId);
    }
  }

  private async existingReprint(cardId: string): Promise<Executed> {
    const { job } = await this.jobs.load(cardId);
    return { ...(await this.jobs.load(job.reprintedAs!)), events: [] };
  }

  private async reprintOnce(
    cardId: string,
    reason: RevocationReason,
    context: CommandContext,
  ): Promise<Executed> {
    const { job: old } = await this.jobs.load(cardId);
    if (old.reprintedAs) return this.existingReprint(cardId);
    return this.store.transaction(async (tx) => {
      const now = this.clock().toISOString();
      const data = await this.vault.get(tx, cardId, 'register-data');
      if (!data)
        throw new CardRuleViolationError(
          'REGISTER_DATA_PURGED',
          'the register data of this card is gone; apply again',
        );
      const newCardId = newEventId();
      await this.vault.put(tx, newCardId, 'register-data', data);
      const created = await this.jobs.execute(
        newCardId,
        {
          type: 'RequestCard',
          now,
          request: { ...old.request, cardId: newCardId, reprintOf: cardId, requestedAt: now },
        },
        context,
        tx,
      );
      await this.jobs.execute(cardId, { type: 'OrderReprint', now, newCardId, reason }, context, tx);
      await tx.query('UPDATE cp_applications SET card_id = $2 WHERE application_id = $1 AND card_id = $3', [
        old.request.applicationId,
        newCardId,
        cardId,
      ]);
      tx.afterCommit(this.onRequeued);
      return created;
    });
  }
}
