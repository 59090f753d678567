import { randomFillSync } from 'node:crypto';
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

/** Random bytes drawn from the system in blocks: one draw per id costs more than the rest of the id. */
const RANDOM_BLOCK = 4096;
let randomBlock = Buffer.alloc(0);
let randomOffset = 0;
/** The millisecond and counter of the last id, so that ids made within one millisecond still ascend. */
const last = { msecs: -Infinity, seq: 0 };

function random16(): Uint8Array {
  if (randomOffset + 16 > randomBlock.length) {
    randomBlock = randomFillSync(Buffer.allocUnsafe(RANDOM_BLOCK));
    randomOffset = 0;
  }
  randomOffset += 16;
  return randomBlock.subarray(randomOffset - 16, randomOffset);
}

/**
 * A UUIDv7: time-ordered, and ascending within this process (the `uuid` package's monotonic
 * counter, kept here because it only applies when that package draws its own random bytes).
 */
export function newEventId(): string {
  const random = random16();
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    last.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs += 1;
  }
  return uuidv7({ random, msecs: last.msecs, seq: last.seq });
}

export function completeMetadata(input: AppendMetadata): EventMetadata {
  const metadata: EventMetadata = {
    actor: input.actor,
    correlationId: input.correlationId ?? newEventId(),
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
