/** Metadata carried by every recorded event (decision 3 of the architecture brief). */
export interface EventMetadata {
  /** Ties together every event caused, directly or not, by one request. */
  readonly correlationId: string;
  /** The event or command id that directly caused this event. */
  readonly causationId: string | null;
  /** Who caused it: a user, a service or a station, never personal data about a citizen. */
  readonly actor: string;
  /** W3C trace context of the request that appended the event, for tracing across hops. */
  readonly traceparent: string | null;
}

/** An event as the domain produces it, before it is recorded. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  /** Version of the payload schema; upcasters bring older versions up to date on read. */
  readonly schemaVersion?: number;
  /** Fixed id, for callers that must know it before the append (e.g. a relayed command). */
  readonly eventId?: string;
}

/** An event as stored, with its place in the stream and in the global order. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  readonly eventId: string;
  readonly type: Type;
  readonly data: Data;
  readonly schemaVersion: number;
  readonly streamId: string;
  /** 1-based position of the event within its stream. */
  readonly streamVersion: number;
  readonly globalPosition: bigint;
  /** The writing transaction's id; with `globalPosition` it forms the gap-free read order. */
  readonly transactionId: bigint;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

/**
 * A place in the global order. Readers resume strictly after it. The pair, not the position alone,
 * is what makes the order gap-free: a transaction that commits late may hold lower positions.
 */
export interface Checkpoint {
  readonly transactionId: bigint;
  readonly position: bigint;
}

export const START: Checkpoint = Object.freeze({ transactionId: 0n, position: 0n });

export function checkpointOf(event: Pick<RecordedEvent, 'transactionId' | 'globalPosition'>): Checkpoint {
  return { transactionId: event.transactionId, position: event.globalPosition };
}

export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}

/**
 * What the writer believes about the stream: an exact version (the number of events it has),
 * that it does not exist yet, that it exists whatever its version, or no expectation at all.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  readonly streamId: string;
  /** Stream version after the append: the version of its last event. */
  readonly nextExpectedVersion: number;
  readonly events: readonly RecordedEventRef[];
}

/** What the store knows about an appended event without reading it back. */
export interface RecordedEventRef {
  readonly eventId: string;
  readonly streamVersion: number;
  readonly globalPosition: bigint;
}
