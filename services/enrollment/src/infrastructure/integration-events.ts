import type { EventStore, RecordedEvent } from '@cancuoc/eventstore';
import type { IntegrationEvent } from '@cancuoc/messaging';
import { create } from '@bufbuild/protobuf';
import { CardApplicationChangedSchema, ENROLLMENT_APPLICATION_TOPIC } from '@cancuoc/proto';
import { applicationDecider } from '../domain/application/decider.js';
import type { ApplicationEvent } from '../domain/application/events.js';
import type { ApplicationState } from '../domain/application/state.js';
import { cardApplication } from './application-proto.js';

const CACHED_STATES = 20_000;
const PREFIX = 'application-';

/**
 * Enrollment's domain events as `CardApplicationChanged` on `internal.enrollment.application.v1`:
 * the whole application after each event (event-carried state), biometrics by reference and
 * SHA-256 only. The state at each version is folded from the stream; the last state of recently
 * changed applications is kept, so a burst of changes reads each stream once.
 */
export class ApplicationIntegrationEvents {
  private readonly states = new Map<string, { version: number; state: ApplicationState }>();

  constructor(private readonly store: EventStore) {}

  async map(events: readonly RecordedEvent[]): Promise<IntegrationEvent[][]> {
    const out: IntegrationEvent[][] = [];
    for (const event of events) {
      if (!event.streamId.startsWith(PREFIX)) {
        out.push([]);
        continue;
      }
      const state = await this.stateAt(event);
      this.remember(event.streamId, event.streamVersion, state);
      if (state.status === 'none') {
        out.push([]);
        continue;
      }
      const applicationId = event.streamId.slice(PREFIX.length);
      out.push([
        {
          topic: ENROLLMENT_APPLICATION_TOPIC.name,
          schema: CardApplicationChangedSchema,
          data: create(CardApplicationChangedSchema, {
            applicationId,
            applicationVersion: BigInt(event.streamVersion),
            application: cardApplication(applicationId, state.application),
          }),
          subject: applicationId,
        },
      ]);
    }
    return out;
  }

  private async stateAt(event: RecordedEvent): Promise<ApplicationState> {
    const known = this.states.get(event.streamId);
    const evolve = (s: ApplicationState, e: RecordedEvent) =>
      applicationDecider.evolve(s, e as unknown as ApplicationEvent);
    if (event.streamVersion === 1) return evolve(applicationDecider.initialState(), event);
    if (known?.version === event.streamVersion - 1) return evolve(known.state, event);
    const { events } = await this.store.readStream(event.streamId);
    return events
      .filter((e) => e.streamVersion <= event.streamVersion)
      .reduce(evolve, applicationDecider.initialState());
  }

  private remember(streamId: string, version: number, state: ApplicationState): void {
    this.states.delete(streamId);
    this.states.set(streamId, { version, state });
    if (this.states.size > CACHED_STATES) this.states.delete(this.states.keys().next().value!);
  }
}
