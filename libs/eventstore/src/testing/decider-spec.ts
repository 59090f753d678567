import assert from 'node:assert/strict';
import type { Decider, DomainEvent } from '../decider.js';

/** An expected event: its type, and those fields of its data the test cares about. */
export type ExpectedEvent<Event extends DomainEvent> = Pick<Event, 'type'> & {
  readonly data?: Partial<Event['data']> | object;
};

/** An error class a decider refuses with. */
export type ErrorClass = abstract new (...args: never[]) => Error;

export interface DeciderWhen<State, Event extends DomainEvent> {
  /**
   * The command causes exactly these events, in order (types, and the listed fields of each one's
   * data).
   */
  then(expected: readonly ExpectedEvent<Event>[]): void;
  /**
   * As `then`, returning the state the events lead to, for a further check or the next step
   * (`Narrowed`: the variant of a union state the test expects, e.g. a card job, not "no card").
   */
  thenState<Narrowed extends State = State>(expected: readonly ExpectedEvent<Event>[]): Narrowed;
  /** As `then`, returning the events themselves, to build the next history from. */
  thenEvents(expected: readonly ExpectedEvent<Event>[]): Event[];
  /** The command is accepted and changes nothing: an idempotent repeat, say. */
  thenNothingHappened(): void;
  /**
   * The command is refused with `error`; `check` looks further into it (its reason, its field
   * violations) and fails by throwing.
   */
  thenThrows<E extends ErrorClass>(error: E, check?: (e: InstanceType<E>) => void): void;
}

export interface DeciderGiven<State, Command, Event extends DomainEvent> {
  when(command: Command): DeciderWhen<State, Event>;
}

/**
 * The given/when/then of a decider — one kit for every service's domain specs:
 *
 *     const { given } = deciderSpec(citizenDecider);
 *     given(registered).when(recordDeath).then([{ type: 'CitizenDied', data: { date } }]);
 *     given(registered, died).when(recordDeath).thenThrows(CitizenRuleViolationError, reason('DECEASED'));
 *
 * The history is folded with the decider's own `evolve` from its `initialState`, so a test states
 * only events, never a hand-built state.
 */
export function deciderSpec<State, Command, Event extends DomainEvent>(
  decider: Decider<State, Command, Event>,
): { given(...history: readonly Event[]): DeciderGiven<State, Command, Event> } {
  return {
    given(...history) {
      const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      return {
        when(command) {
          const decide = () => decider.decide(command, state);
          const thenEvents = (expected: readonly ExpectedEvent<Event>[]): Event[] => {
            const events = decide();
            assert.deepEqual(
              events.map((e) => e.type),
              expected.map((e) => e.type),
              'the events the command caused',
            );
            expected.forEach((e, i) => {
              const data = events[i]!.data as object;
              if (e.data) assert.deepEqual(data, { ...data, ...e.data }, `${e.type}'s data`);
            });
            return events;
          };
          const thenState = <Narrowed extends State = State>(
            expected: readonly ExpectedEvent<Event>[],
          ): Narrowed => thenEvents(expected).reduce((s, e) => decider.evolve(s, e), state) as Narrowed;
          return {
            then: (expected) => void thenState(expected),
            thenState,
            thenEvents,
            thenNothingHappened: () => void thenState([]),
            thenThrows(error, check) {
              assert.throws(decide, (e: Error) => {
                assert.ok(e instanceof error, `expected ${error.name}, got ${e.name}: ${e.message}`);
                check?.(e as never);
                return true;
              });
            },
          };
        },
      };
    },
  };
}
