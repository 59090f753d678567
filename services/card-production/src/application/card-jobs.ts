import { CommandHandler, type EventStore, type Tx } from '@cancuoc/eventstore';
import type { CardCommand } from '../domain/card/commands.js';
import { cardDecider, type CardPolicy } from '../domain/card/decider.js';
import { CardNotFoundError } from '../domain/card/errors.js';
import type { CardEvent } from '../domain/card/events.js';
import { isJob, type CardJob, type CardState } from '../domain/card/state.js';
import { recordJob } from './job-table.js';
import type { CardVault } from './ports.js';

/** Who asks, and the request it belongs to; never personal data. */
export interface CommandContext {
  readonly actor: string;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly traceparent?: string | undefined;
}

export interface Executed {
  readonly job: CardJob;
  readonly events: readonly CardEvent[];
  readonly version: number;
}

export const cardStream = (cardId: string) => `card-${cardId}`;

/**
 * Runs commands on card jobs: load, decide, append, and in the same transaction bring the job's
 * row (and what hangs on it) up to date. A lost race is retried a bounded number of times.
 */
export class CardJobs {
  private readonly handler: CommandHandler<CardState, CardCommand, CardEvent>;

  constructor(
    private readonly store: EventStore,
    private readonly vault: CardVault,
    readonly policy: CardPolicy,
  ) {
    this.handler = new CommandHandler(store, cardDecider(policy), { maxAttempts: 5 });
  }

  execute(cardId: string, command: CardCommand, context: CommandContext, tx?: Tx): Promise<Executed> {
    const run = async (t: Tx): Promise<Executed> => {
      const result = await this.handler.handle(cardStream(cardId), command, {
        tx: t,
        metadata: {
          actor: context.actor,
          ...(context.correlationId && { correlationId: context.correlationId }),
          ...(context.causationId && { causationId: context.causationId }),
          ...(context.traceparent && { traceparent: context.traceparent }),
        },
      });
      if (!isJob(result.state)) throw new CardNotFoundError();
      if (result.events.length > 0) {
        await recordJob(t, cardId, result.state, result.streamVersion, result.events, this.vault);
      }
      return { job: result.state, events: result.events, version: result.streamVersion };
    };
    return tx ? run(tx) : this.store.transaction(run);
  }

  async load(cardId: string): Promise<{ job: CardJob; version: number }> {
    const { state, streamVersion } = await this.handler.load(cardStream(cardId));
    if (!isJob(state)) throw new CardNotFoundError();
    return { job: state, version: streamVersion };
  }
}
