import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type Message,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { aborted, invalidArgument } from './errors.js';
import type { CallContext, MaybePromise } from './service.js';

/** The request header that carries a client-chosen idempotency key. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The `ErrorInfo.reason` when a duplicate waited longer than allowed for the first call. */
export const IDEMPOTENCY_KEY_IN_USE = 'IDEMPOTENCY_KEY_IN_USE';

/**
 * Where idempotent calls keep their results (architecture decision 7: Redis, never the source of
 * truth). Two kinds of entries per key:
 *
 * - the **result**: `put` stores the encoded response for `ttlMs`, `get` reads it back;
 * - the **claim**: `claim` atomically takes the key for `ttlMs` if nobody holds it and returns a
 *   token (undefined when it is held), `release` gives it up if the token still matches. The claim
 *   is what stops a concurrent duplicate from running the handler while the first call runs.
 */
export interface IdempotencyStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  claim(key: string, ttlMs: number): Promise<string | undefined>;
  release(key: string, token: string): Promise<void>;
}

export interface IdempotencyOptions<Principal = unknown> {
  /** Refuse calls without a key (INVALID_ARGUMENT). Default false: such calls just run. */
  readonly required?: boolean;
  /** How long a result is replayed. Default 24 hours. */
  readonly ttlMs?: number;
  /**
   * How long a claim lasts: must exceed the handler's longest run, or a duplicate arriving after it
   * expires runs the handler again. Default 60 s.
   */
  readonly claimTtlMs?: number;
  /** How long a duplicate waits for the first call's result before ABORTED. Default: the claim TTL
   * or the call's deadline, whichever is sooner. */
  readonly waitMs?: number;
  /** How often a waiting duplicate looks for the result. Default 25 ms. */
  readonly pollIntervalMs?: number;
  /** Keys are per method; return e.g. the principal's id to make them per caller as well. */
  readonly scope?: (call: CallContext<Principal>) => string;
}

const MAX_KEY_LENGTH = 255;
const ENVELOPE_VERSION = 1;
const FINGERPRINT_LENGTH = 32;

function fingerprint(schema: DescMessage, request: Message): Buffer {
  return createHash('sha256').update(toBinary(schema, request)).digest();
}

function encode(requestFingerprint: Buffer, response: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + FINGERPRINT_LENGTH + response.byteLength);
  out[0] = ENVELOPE_VERSION;
  out.set(requestFingerprint, 1);
  out.set(response, 1 + FINGERPRINT_LENGTH);
  return out;
}

function decode(stored: Uint8Array): { fingerprint: Uint8Array; response: Uint8Array } {
  if (stored[0] !== ENVELOPE_VERSION || stored.byteLength < 1 + FINGERPRINT_LENGTH) {
    throw new Error('unrecognised idempotency record');
  }
  return {
    fingerprint: stored.subarray(1, 1 + FINGERPRINT_LENGTH),
    response: stored.subarray(1 + FINGERPRINT_LENGTH),
  };
}

/**
 * Makes a unary handler idempotent under the `idempotency-key` header. The first call with a key
 * runs the handler and stores its response under (method, scope, key); a retry with the same key
 * gets the stored response without running the handler again. A duplicate that arrives while the
 * first call still runs does not run the handler either: the first call holds a claim on the key
 * (`IdempotencyStore.claim`, SET NX in Redis), and the duplicate polls until the result appears (or
 * the claim disappears because the first call failed, in which case it claims and runs itself).
 *
 * Only successful responses are stored: when the handler throws, the claim is released and a retry
 * runs it again, so handlers must commit their effect atomically with success. Reusing a key with a
 * different request is INVALID_ARGUMENT.
 */
export function withIdempotency<RequestMessage extends Message, Result, Principal = unknown>(
  store: IdempotencyStore,
  handler: (request: RequestMessage, call: CallContext<Principal>) => MaybePromise<Result>,
  options: IdempotencyOptions<Principal> = {},
): (request: RequestMessage, call: CallContext<Principal>) => Promise<Result> {
  const ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  const claimTtlMs = options.claimTtlMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 25;

  return async (request, call) => {
    const method = call.method;
    const output = method.output;
    // The response as the client receives it: a message, whichever init shape the handler returned.
    const run = async () =>
      create(output, (await handler(request, call)) as MessageInitShape<DescMessage>) as Result & Message;
    const key = call.metadata.get(IDEMPOTENCY_KEY_HEADER)[0];
    if (key === undefined || key === '') {
      if (options.required) {
        throw invalidArgument([
          {
            field: IDEMPOTENCY_KEY_HEADER,
            description: 'this call needs an idempotency key',
            reason: 'REQUIRED',
          },
        ]);
      }
      return run();
    }
    if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
      throw invalidArgument([
        {
          field: IDEMPOTENCY_KEY_HEADER,
          description: `must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`,
          reason: 'INVALID_FORMAT',
        },
      ]);
    }
    const storeKey = `${call.path}|${options.scope?.(call) ?? ''}|${key}`;
    const requestFingerprint = fingerprint(method.input, request);

    const replay = (stored: Uint8Array): Result => {
      const record = decode(stored);
      if (!requestFingerprint.equals(record.fingerprint)) {
        throw invalidArgument([
          {
            field: IDEMPOTENCY_KEY_HEADER,
            description: 'this key was already used with a different request',
            reason: 'KEY_REUSED',
          },
        ]);
      }
      return fromBinary(output, record.response) as Result;
    };

    const remaining = call.deadline ? call.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
    const waitUntil = Date.now() + Math.min(options.waitMs ?? claimTtlMs, remaining);
    for (;;) {
      const stored = await store.get(storeKey);
      if (stored) return replay(stored);
      const token = await store.claim(storeKey, claimTtlMs);
      if (token !== undefined) {
        try {
          // The first call may have stored its result and released between our get and claim.
          const late = await store.get(storeKey);
          if (late) return replay(late);
          const response = await run();
          await store.put(storeKey, encode(requestFingerprint, toBinary(output, response)), ttlMs);
          return response;
        } finally {
          await store.release(storeKey, token);
        }
      }
      if (Date.now() >= waitUntil) {
        throw aborted(
          { reason: IDEMPOTENCY_KEY_IN_USE },
          'a call with this idempotency key is still in progress; retry later',
        );
      }
      await sleep(pollIntervalMs, undefined, { signal: call.signal });
    }
  };
}

/** Keeps idempotency records in this process (tests, the embedded single-process mode). */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly #results = new Map<string, { value: Uint8Array; expires: number }>();
  readonly #claims = new Map<string, { token: string; expires: number }>();

  get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.#results.get(key);
    if (entry && entry.expires <= Date.now()) this.#results.delete(key);
    return Promise.resolve(entry && entry.expires > Date.now() ? entry.value.slice() : undefined);
  }

  put(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    this.#results.set(key, { value: value.slice(), expires: Date.now() + ttlMs });
    return Promise.resolve();
  }

  claim(key: string, ttlMs: number): Promise<string | undefined> {
    const held = this.#claims.get(key);
    if (held && held.expires > Date.now()) return Promise.resolve(undefined);
    const token = randomUUID();
    this.#claims.set(key, { token, expires: Date.now() + ttlMs });
    return Promise.resolve(token);
  }

  release(key: string, token: string): Promise<void> {
    if (this.#claims.get(key)?.token === token) this.#claims.delete(key);
    return Promise.resolve();
  }
}
