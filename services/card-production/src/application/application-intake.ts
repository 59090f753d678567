import { newEventId, type Tx } from '@cancuoc/eventstore';
import { CardRuleViolationError, CardNotFoundError } from '../domain/card/errors.js';
import type { ApplicationReason, PortraitReference } from '../domain/card/events.js';
import type { RegisterData } from '../domain/personalisation/card-contents.js';
import type { CardJobs, CommandContext } from './card-jobs.js';
import type { CardVault, Clock } from './ports.js';

/** A card application as enrollment published it, in the terms card production needs. */
export interface ApplicationChange {
  readonly applicationId: string;
  readonly applicationVersion: number;
  readonly stage: 'submitted' | 'cancelled' | 'rejected' | 'other';
  readonly citizenId: string;
  readonly registryRecordVersion: number;
  readonly reason: ApplicationReason;
  readonly priority: number;
  readonly stationId: string;
  readonly portrait: PortraitReference | null;
  readonly registerData: RegisterData | null;
  readonly replacesCardId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Why a card is held when the card its application replaces is not its holder's: a revocation
 * only ever touches the card of the citizen applying (enrollment refuses such an application with
 * the same code; card production checks again, so a faulty or compromised upstream cannot make it
 * revoke someone else's card).
 */
export const CARD_OF_ANOTHER_CITIZEN = 'CARD_OF_ANOTHER_CITIZEN';

/**
 * The citizen of a card card production made, or undefined when `cardId` is no card of its own (one
 * issued before it, or not a card id): such a card has nothing here to revoke.
 */
export async function holderOfCard(db: Pick<Tx, 'query'>, cardId: string): Promise<string | undefined> {
  if (!UUID.test(cardId)) return undefined;
  const [row] = await db.query<{ citizen_id: string }>('SELECT citizen_id FROM cp_jobs WHERE card_id = $1', [
    cardId,
  ]);
  return row?.citizen_id;
}

/** The application's current card, if it has one. */
export async function cardOfApplication(
  db: Pick<Tx, 'query'>,
  applicationId: string,
): Promise<string | undefined> {
  const [row] = await db.query<{ card_id: string | null }>(
    'SELECT card_id FROM cp_applications WHERE application_id = $1',
    [applicationId],
  );
  return row?.card_id ?? undefined;
}

/**
 * Turns enrollment's application changes into card jobs: a submitted application becomes exactly one
 * card, however often and in whatever duplicates its events arrive (the inbox drops a redelivered
 * event; `cp_applications` holds one card per application whatever the event id); a cancelled or
 * rejected one stops its card if the card was not shipped yet. Changes older than one already seen
 * are ignored. An application replacing a card of another citizen is held for an operator
 * ({@link CARD_OF_ANOTHER_CITIZEN}, manual handling) and that card left as it is.
 */
export class ApplicationIntake {
  constructor(
    private readonly jobs: CardJobs,
    private readonly vault: CardVault,
    private readonly clock: Clock,
    private readonly onRequested: () => void,
  ) {}

  async handle(change: ApplicationChange, tx: Tx, context: CommandContext): Promise<void> {
    await tx.query(
      `INSERT INTO cp_applications (application_id, application_version) VALUES ($1, 0)
       ON CONFLICT (application_id) DO NOTHING`,
      [change.applicationId],
    );
    const [row] = await tx.query<{ card_id: string | null; application_version: string }>(
      'SELECT card_id, application_version FROM cp_applications WHERE application_id = $1 FOR UPDATE',
      [change.applicationId],
    );
    if (Number(row!.application_version) >= change.applicationVersion) return;
    await tx.query(
      'UPDATE cp_applications SET application_version = $2, updated_at = now() WHERE application_id = $1',
      [change.applicationId, change.applicationVersion],
    );
    const now = this.clock().toISOString();
    switch (change.stage) {
      case 'submitted':
        if (row!.card_id === null) await this.request(change, tx, context, now);
        return;
      case 'cancelled':
      case 'rejected':
        if (row!.card_id !== null) await this.stop(row!.card_id, change.stage, tx, context, now);
        return;
      case 'other':
        return;
      default: {
        const unknown: never = change.stage;
        throw new Error(`unknown application stage ${String(unknown)}`);
      }
    }
  }

  private async request(
    change: ApplicationChange,
    tx: Tx,
    context: CommandContext,
    now: string,
  ): Promise<void> {
    const cardId = newEventId();
    await tx.query('UPDATE cp_applications SET card_id = $2 WHERE application_id = $1', [
      change.applicationId,
      cardId,
    ]);
    await this.vault.put(tx, cardId, 'register-data', Buffer.from(JSON.stringify(change.registerData)));
    await this.jobs.execute(
      cardId,
      {
        type: 'RequestCard',
        now,
        request: {
          cardId,
          applicationId: change.applicationId,
          applicationVersion: change.applicationVersion,
          citizenId: change.citizenId,
          registryRecordVersion: change.registryRecordVersion,
          reason: change.reason,
          priority: change.priority,
          enrollmentStationId: change.stationId,
          portrait: change.portrait ?? { reference: '', sha256: '', mediaType: '' },
          replacesCardId: change.replacesCardId,
          reprintOf: null,
          requestedAt: now,
        },
      },
      context,
      tx,
    );
    const replacedHolder = change.replacesCardId ? await holderOfCard(tx, change.replacesCardId) : undefined;
    // An application that would have another citizen's card revoked is one enrollment refuses: a
    // faulty or compromised upstream. Held before any of its work is done (personalising reads the
    // register data and signs a chip) until an operator has checked it with enrollment and cancels
    // or retries it; the other card is not touched.
    if (replacedHolder !== undefined && replacedHolder !== change.citizenId) {
      await this.jobs.execute(
        cardId,
        {
          type: 'FailPersonalisation',
          now,
          reason: CARD_OF_ANOTHER_CITIZEN,
          detail:
            'the card this application replaces belongs to another citizen; that card was left as it is',
        },
        context,
        tx,
      );
      return;
    }
    // An incomplete submission is a contract breach by enrollment: visible to operators, not retried.
    if (!change.portrait || !change.registerData) {
      await this.jobs.execute(
        cardId,
        {
          type: 'FailPersonalisation',
          now,
          reason: 'APPLICATION_INCOMPLETE',
          detail: !change.portrait
            ? 'the application has no portrait reference'
            : 'the application has no register data',
        },
        context,
        tx,
      );
      return;
    }
    // A lost card goes on the revocation list as soon as its replacement is applied for; one this
    // service never made (issued before it) has nothing here to revoke.
    if (change.reason === 'lost' && change.replacesCardId && replacedHolder !== undefined) {
      await this.revokeLost(change.replacesCardId, tx, context, now);
    }
    tx.afterCommit(this.onRequested);
  }

  private async revokeLost(cardId: string, tx: Tx, context: CommandContext, now: string): Promise<void> {
    try {
      await this.jobs.execute(cardId, { type: 'RevokeCard', now, reason: 'lost' }, context, tx);
    } catch (error) {
      // A card not yet issued has nothing to revoke.
      if (!(error instanceof CardNotFoundError || error instanceof CardRuleViolationError)) throw error;
    }
  }

  private async stop(
    cardId: string,
    stage: string,
    tx: Tx,
    context: CommandContext,
    now: string,
  ): Promise<void> {
    const reason = stage === 'cancelled' ? 'APPLICATION_CANCELLED' : 'APPLICATION_REJECTED';
    try {
      await this.jobs.execute(cardId, { type: 'CancelCard', now, reason }, context, tx);
    } catch (error) {
      // A card already shipped stays issued; revoking it is an operator's decision.
      if (!(error instanceof CardRuleViolationError)) throw error;
    }
  }
}
