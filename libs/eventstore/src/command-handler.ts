import type { SqlExecutor, Tx } from './database.js';
import type { Decider, DomainEvent } from './decider.js';
import { ConcurrencyRetriesExhaustedError, WrongExpectedVersionError } from './errors.js';
import type { EventStore } from './event-store.js';
import type { AppendMetadata } from './metadata.js';
import { loadSnapshot, saveSnapshot, snapshotDue, type SnapshotPolicy } from './snapshots.js';
import type { AppendResult } from './types.js';

export interface CommandHandlerOptions<State> {
  /** Attempts in all, the first included, before a lost race is reported. */
  readonly maxAttempts?: number;
  readonly snapshots?: SnapshotPolicy<State>;
}

export interface HandleOptions {
  readonly metadata: AppendMetadata;
  /**
   * The version the caller last saw. When given, a stream that has moved on is a conflict for the
   * caller to resolve, not something to retry.
   */
  readonly expectedVersion?: number;
  readonly tx?: Tx;
}

export interface HandleResult<State, Event> {
  readonly state: State;
  readonly events: readonly Event[];
  /** Stream version after the command; unchanged when it caused no event. */
  readonly streamVersion: number;
  readonly appended: AppendResult | undefined;
}

export interface LoadedState<State> {
  readonly state: State;
  readonly streamVersion: number;
}

/** Loads an aggregate (snapshot + tail), decides, appends, and retries a lost race. */
export class CommandHandler<State, Command, Event extends DomainEvent> {
  private readonly maxAttempts: number;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<State, Command, Event>,
    private readonly options: CommandHandlerOptions<State> = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  async load(streamId: string, tx?: SqlExecutor): Promise<LoadedState<State>> {
    const db = tx ?? this.store.db;
    const snapshot = this.options.snapshots
      ? await loadSnapshot(db, streamId, this.options.snapshots)
      : undefined;
    let state = snapshot?.state ?? this.decider.initialState();
    const fromVersion = (snapshot?.streamVersion ?? 0) + 1;
    const { events, streamVersion } = await this.store.readStream(streamId, {
      fromVersion,
      ...(tx && { tx }),
    });
    for (const event of events) state = this.decider.evolve(state, event as unknown as Event);
    return { state, streamVersion: Math.max(streamVersion, snapshot?.streamVersion ?? 0) };
  }

  private inTransaction<T>(tx: Tx | undefined, work: (tx: Tx) => Promise<T>): Promise<T> {
    return tx ? work(tx) : this.store.transaction(work);
  }

  async handle(
    streamId: string,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(streamId, command, options);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || options.expectedVersion !== undefined)
          throw error;
        if (attempt >= this.maxAttempts) throw new ConcurrencyRetriesExhaustedError(streamId, attempt, error);
      }
    }
  }

  private async attempt(
    streamId: string,
    command: Command,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>> {
    const loaded = await this.load(streamId, options.tx);
    if (options.expectedVersion !== undefined && options.expectedVersion !== loaded.streamVersion) {
      throw new WrongExpectedVersionError(streamId, options.expectedVersion, loaded.streamVersion);
    }
    const events = this.decider.decide(command, loaded.state);
    if (events.length === 0) {
      return { state: loaded.state, events, streamVersion: loaded.streamVersion, appended: undefined };
    }
    const state = events.reduce((s, e) => this.decider.evolve(s, e), loaded.state);
    const policy = this.options.snapshots;
    const nextVersion = loaded.streamVersion + events.length;
    const snapshot =
      policy && snapshotDue(policy.every, loaded.streamVersion, nextVersion) ? policy : undefined;
    const append = (tx: Tx | undefined) =>
      this.store.appendToStream(streamId, events, {
        expectedVersion: loaded.streamVersion,
        metadata: options.metadata,
        ...(tx && { tx }),
      });
    // A due snapshot is written in the append's transaction, so it never runs ahead of the events.
    const appended =
      snapshot === undefined
        ? await append(options.tx)
        : await this.inTransaction(options.tx, async (tx) => {
            const result = await append(tx);
            await saveSnapshot(tx, streamId, snapshot, { state, streamVersion: nextVersion });
            return result;
          });
    return { state, events, streamVersion: appended.nextExpectedVersion, appended };
  }
}
