/** A domain event as deciders see it: a type tag and its payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * An aggregate as three pure functions (the Decider pattern): no I/O, no framework, so the rules can
 * be tested as given(events).when(command).then(events).
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  /** The events a command causes in a state; throws a domain error to refuse it. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export function foldEvents<State, Event extends DomainEvent>(
  decider: Pick<Decider<State, never, Event>, 'evolve'>,
  state: State,
  events: readonly Event[],
): State {
  return events.reduce((s, e) => decider.evolve(s, e), state);
}
