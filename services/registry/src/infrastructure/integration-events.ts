import type { EventStore, RecordedEvent } from '@cancuoc/eventstore';
import { REGISTRY_CITIZEN_TOPIC, CitizenRecordChangedSchema } from '@cancuoc/proto';
import type { IntegrationEvent } from '@cancuoc/messaging';
import { citizenDecider } from '../domain/citizen/decider.js';
import type { CitizenEvent } from '../domain/citizen/events.js';
import type { CitizenState } from '../domain/citizen/state.js';
import { recordChanged } from './citizen-proto.js';

const CACHED_STATES = 50_000;

/**
 * Turns the registry's domain events into `CitizenRecordChanged` on `internal.registry.citizen.v1`:
 * the whole record as of each event (event-carried state), so subscribers need no callback. The
 * state at each version is folded from the stream; the last state of recently changed records is
 * kept so a burst of changes to one record reads its stream once.
 */
export class CitizenIntegrationEvents {
  private readonly states = new Map<string, { version: number; state: CitizenState }>();

  constructor(private readonly store: EventStore) {}

  async map(events: readonly RecordedEvent[]): Promise<IntegrationEvent[][]> {
    const out: IntegrationEvent[][] = [];
    for (const event of events) {
      if (!event.streamId.startsWith('citizen-')) {
        out.push([]);
        continue;
      }
      const state = await this.stateAt(event);
      this.remember(event.streamId, event.streamVersion, state);
      if (state.status === 'unregistered') {
        out.push([]);
        continue;
      }
      const citizenId = event.streamId.slice('citizen-'.length);
      out.push([
        {
          topic: REGISTRY_CITIZEN_TOPIC.name,
          schema: CitizenRecordChangedSchema,
          data: recordChanged(
            citizenId,
            event.streamVersion,
            event.type as CitizenEvent['type'],
            state.record,
          ),
          subject: citizenId,
        },
      ]);
    }
    return out;
  }

  private async stateAt(event: RecordedEvent): Promise<CitizenState> {
    const known = this.states.get(event.streamId);
    if (event.streamVersion === 1)
      return citizenDecider.evolve(citizenDecider.initialState(), event as unknown as CitizenEvent);
    if (known?.version === event.streamVersion - 1)
      return citizenDecider.evolve(known.state, event as unknown as CitizenEvent);
    const { events } = await this.store.readStream(event.streamId);
    return events
      .filter((e) => e.streamVersion <= event.streamVersion)
      .reduce(
        (s, e) => citizenDecider.evolve(s, e as unknown as CitizenEvent),
        citizenDecider.initialState(),
      );
  }

  private remember(streamId: string, version: number, state: CitizenState): void {
    this.states.delete(streamId);
    this.states.set(streamId, { version, state });
    if (this.states.size > CACHED_STATES) this.states.delete(this.states.keys().next().value!);
  }
}
