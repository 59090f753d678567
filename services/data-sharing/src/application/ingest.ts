import type { EventStore, Tx } from '@cancuoc/eventstore';
import type { CloudEvent } from '@cancuoc/messaging';
import { citizenStreamId, type ReceivedEvent } from '../domain/citizen/events.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Records what a consumed integration event said, in the consumer's transaction (with its inbox
 * row): one event on the citizen's stream, caused by the integration event, in its correlation.
 */
export async function recordReceived(
  store: EventStore,
  received: { readonly citizenId: string; readonly event: ReceivedEvent },
  source: CloudEvent,
  tx: Tx,
): Promise<void> {
  await store.appendToStream(citizenStreamId(received.citizenId), [received.event], {
    expectedVersion: 'any',
    tx,
    metadata: {
      actor: `service:${source.source.replace(/^\/cancuoc\//, '')}`,
      correlationId:
        source.correlationId && UUID.test(source.correlationId) ? source.correlationId : undefined,
      causationId: UUID.test(source.id) ? source.id : null,
      traceparent: source.traceparent && TRACEPARENT.test(source.traceparent) ? source.traceparent : null,
    },
  });
}
