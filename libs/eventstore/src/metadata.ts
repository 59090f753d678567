import { v7 as uuidv7 } from 'uuid';
import { InvalidEventStoreRequestError } from './errors.js';
import type { EventMetadata } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** What a writer says about an append; the store fills in what it leaves out. */
export interface AppendMetadata {
  readonly actor: string;
  readonly correlationId?: string;
  readonly causationId?: string | null;
  readonly traceparent?: string | null;
}

export function newEventId(): string {
  return uuidv7();
}

export function completeMetadata(input: AppendMetadata): EventMetadata {
  const metadata: EventMetadata = {
    actor: input.actor,
    correlationId: input.correlationId ?? uuidv7(),
    causationId: input.causationId ?? null,
    traceparent: input.traceparent ?? null,
  };
  if (!metadata.actor) throw new InvalidEventStoreRequestError('metadata.actor is required');
  if (!UUID.test(metadata.correlationId)) {
    throw new InvalidEventStoreRequestError('metadata.correlationId must be a UUID');
  }
  if (metadata.causationId !== null && !UUID.test(metadata.causationId)) {
    throw new InvalidEventStoreRequestError('metadata.causationId must be a UUID');
  }
  if (metadata.traceparent !== null && !TRACEPARENT.test(metadata.traceparent)) {
    throw new InvalidEventStoreRequestError('metadata.traceparent must be a W3C traceparent');
  }
  return metadata;
}

export function assertEventId(id: string): string {
  if (!UUID.test(id)) throw new InvalidEventStoreRequestError(`event id ${id} is not a UUID`);
  return id;
}
