import {
  CommandHandler,
  WrongExpectedVersionError,
  newEventId,
  type EventStore,
  type Tx,
} from '@cancuoc/eventstore';
import type { SubscriptionCommand } from '../domain/subscription/commands.js';
import { commandViolations, subscriptionDecider } from '../domain/subscription/decider.js';
import { InvalidSubscriptionCommandError, SubscriptionNotFoundError } from '../domain/subscription/errors.js';
import { subscriptionStreamId, type SubscriptionEvent } from '../domain/subscription/events.js';
import type { Subscription, SubscriptionState } from '../domain/subscription/state.js';
import type { TermsInput } from '../domain/subscription/terms.js';
import { BACKFILL_CHANNEL, DELIVERY_CHANNEL } from './citizen-projection.js';
import { AgencyHasLiveSubscriptionError, StaleSubscriptionVersionError } from './errors.js';
import type { DeliveryGate, PartnerTopics } from './ports.js';
import { subscriptionRow, subscriptionRows, type SubscriptionRow } from './subscription-rows.js';
import { backfillProgress, startBackfill, type BackfillProgress } from './views/backfills.js';

/** Who acts, and the request's correlation; never personal data. */
export interface AdminContext {
  readonly actor: string;
  readonly correlationId?: string | undefined;
  readonly traceparent?: string | undefined;
}

export interface SubscriptionRequest {
  readonly agency: string;
  readonly agencyName: string;
  readonly purpose: string;
  readonly purposeDescription: string;
  readonly legalBasis: string;
  readonly terms: TermsInput;
}

export interface DeliveryState {
  readonly topicsReady: boolean;
  readonly queued: number;
  readonly backfill: BackfillProgress | undefined;
}

export interface SubscriptionView extends SubscriptionRow {
  readonly delivery: DeliveryState;
}

export interface SubscriptionsOptions {
  readonly store: EventStore;
  readonly gate: DeliveryGate;
  readonly topics: PartnerTopics;
  readonly clock?: () => Date;
}

/** Events after which the agency's view must be re-projected (or withdrawn) under a new generation. */
function changesWhatIsShared(events: readonly SubscriptionEvent[], state: Subscription): boolean {
  return events.some(
    (e) =>
      e.type === 'SubscriptionApproved' ||
      e.type === 'SubscriptionChangeApproved' ||
      e.type === 'SubscriptionRevoked' ||
      (e.type === 'SubscriptionTermsChanged' && state.status !== 'requested'),
  );
}

const isLiveAgencyConflict = (error: unknown) =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: string }).code === '23505' &&
  String((error as { constraint?: string }).constraint ?? (error as Error).message).includes(
    'ds_subscriptions_live_agency',
  );

/**
 * The administrators' use cases. Each command appends the subscription's events and writes its row
 * in `ds_subscriptions` in one transaction — so a suspension or revocation holds for the very next
 * query — and starts the back-fill its change needs in the same transaction. After the commit it
 * passes the agency's delivery gate: when a command returns, no batch read under the old terms is
 * still being published.
 */
export class Subscriptions {
  private readonly handler: CommandHandler<SubscriptionState, SubscriptionCommand, SubscriptionEvent>;
  private readonly clock: () => Date;

  constructor(private readonly options: SubscriptionsOptions) {
    this.handler = new CommandHandler(options.store, subscriptionDecider, { maxAttempts: 3 });
    this.clock = options.clock ?? (() => new Date());
  }

  private get db() {
    return this.options.store.db;
  }

  request(request: SubscriptionRequest, context: AdminContext): Promise<SubscriptionRow> {
    const subscriptionId = newEventId();
    return this.execute(
      subscriptionId,
      { type: 'RequestSubscription', subscriptionId, ...request, ...this.acting(context) },
      undefined,
      context,
      async (tx) => {
        const [live] = await tx.query(
          `SELECT 1 FROM ds_subscriptions WHERE agency = $1 AND status <> 'revoked'`,
          [request.agency],
        );
        if (live) throw new AgencyHasLiveSubscriptionError();
      },
    );
  }

  approve(id: string, expectedVersion: number | undefined, context: AdminContext): Promise<SubscriptionRow> {
    return this.execute(
      id,
      { type: 'ApproveSubscription', ...this.acting(context) },
      expectedVersion,
      context,
    );
  }

  change(
    id: string,
    change: { terms: TermsInput; reason: string },
    expectedVersion: number | undefined,
    context: AdminContext,
  ): Promise<SubscriptionRow> {
    return this.execute(
      id,
      { type: 'ChangeSubscription', ...change, ...this.acting(context) },
      expectedVersion,
      context,
    );
  }

  suspend(id: string, reason: string, expectedVersion: number | undefined, context: AdminContext) {
    return this.execute(
      id,
      { type: 'SuspendSubscription', reason, ...this.acting(context) },
      expectedVersion,
      context,
    );
  }

  resume(id: string, reason: string, expectedVersion: number | undefined, context: AdminContext) {
    return this.execute(
      id,
      { type: 'ResumeSubscription', reason, ...this.acting(context) },
      expectedVersion,
      context,
    );
  }

  revoke(id: string, reason: string, expectedVersion: number | undefined, context: AdminContext) {
    return this.execute(
      id,
      { type: 'RevokeSubscription', reason, ...this.acting(context) },
      expectedVersion,
      context,
    );
  }

  async get(id: string): Promise<SubscriptionView> {
    const row = await subscriptionRow(this.db, id);
    if (!row) throw new SubscriptionNotFoundError();
    return this.withDelivery(row);
  }

  async list(agency?: string): Promise<SubscriptionView[]> {
    const rows = await subscriptionRows(this.db, agency);
    return Promise.all(rows.map((r) => this.withDelivery(r)));
  }

  private async withDelivery(row: SubscriptionRow): Promise<SubscriptionView> {
    const agency = row.subscription.agency;
    const [queued] = await this.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM ds_delivery_queue WHERE agency = $1',
      [agency],
    );
    return {
      ...row,
      delivery: {
        topicsReady: await this.options.topics.ready(agency),
        queued: Number(queued!.n),
        backfill: await backfillProgress(this.db, agency),
      },
    };
  }

  private acting(context: AdminContext): { by: string; at: string } {
    return { by: context.actor, at: this.clock().toISOString() };
  }

  private async execute(
    id: string,
    command: SubscriptionCommand,
    expectedVersion: number | undefined,
    context: AdminContext,
    check?: (tx: Tx) => Promise<void>,
  ): Promise<SubscriptionRow> {
    // A malformed command is refused before anything is read, locked or written.
    const violations = commandViolations(command);
    if (violations.length > 0) throw new InvalidSubscriptionCommandError(violations);
    const outcome = await this.options.store
      .transaction(async (tx) => {
        await check?.(tx);
        const result = await this.handler.handle(subscriptionStreamId(id), command, {
          tx,
          expectedVersion,
          metadata: {
            actor: context.actor,
            correlationId: context.correlationId,
            traceparent: context.traceparent,
          },
        });
        if (result.events.length === 0) {
          const unchanged = await subscriptionRow(tx, id);
          if (!unchanged) throw new SubscriptionNotFoundError();
          return { row: unchanged, changed: false };
        }
        const state = result.state as Subscription;
        const reshare = changesWhatIsShared(result.events, state);
        const [written] = await tx.query<{ generation: string }>(
          `INSERT INTO ds_subscriptions (subscription_id, agency, status, version, generation, subscription)
           VALUES ($1, $2, $3, $4, nextval('ds_generations'), $5::jsonb)
           ON CONFLICT (subscription_id) DO UPDATE SET
             status = EXCLUDED.status, version = EXCLUDED.version, subscription = EXCLUDED.subscription,
             generation = CASE WHEN $6 THEN nextval('ds_generations') ELSE ds_subscriptions.generation END,
             updated_at = clock_timestamp()
           RETURNING generation::text AS generation`,
          [id, state.agency, state.status, result.streamVersion, JSON.stringify(state), reshare],
        );
        const row: SubscriptionRow = {
          subscription: state,
          version: result.streamVersion,
          generation: BigInt(written!.generation),
        };
        if (reshare) await startBackfill(tx, row);
        return { row, changed: true };
      })
      .catch((error: unknown) => {
        if (error instanceof WrongExpectedVersionError && expectedVersion !== undefined)
          throw new StaleSubscriptionVersionError(expectedVersion, error.actual);
        if (isLiveAgencyConflict(error)) throw new AgencyHasLiveSubscriptionError();
        throw error;
      });
    if (outcome.changed) {
      await this.options.gate.barrier(outcome.row.subscription.agency);
      this.db.notify(BACKFILL_CHANNEL);
      this.db.notify(DELIVERY_CHANNEL);
    }
    return outcome.row;
  }
}
