import { createHash } from 'node:crypto';
import type { EventStore, Tx } from '@cancuoc/eventstore';
import { IdempotencyKeyReusedError } from './errors.js';

/** Who asks, and how to recognise a retry; never personal data. */
export interface CommandContext {
  readonly actor: string;
  readonly idempotencyKey?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly traceparent?: string | undefined;
}

function requestHash(method: string, request: unknown): string {
  return createHash('sha256').update(method).update(JSON.stringify(request)).digest('hex');
}

/**
 * Runs `work` in a transaction that first claims the caller's idempotency key: a concurrent
 * duplicate waits on the key's row and then reads the first call's result, a later retry reads it
 * at once, and the key commits (or rolls back) with the command's own effects. Keys are per caller,
 * so nobody can replay another's result.
 */
export function idempotent<T>(
  store: EventStore,
  method: string,
  request: unknown,
  context: CommandContext,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const key = context.idempotencyKey;
  return store.transaction(async (tx) => {
    if (!key) return work(tx);
    const hash = requestHash(method, request);
    const claimed = await tx.query(
      `INSERT INTO enr_idempotency (actor, idempotency_key, method, request_hash, response)
       VALUES ($1, $2, $3, $4, 'null') ON CONFLICT (actor, idempotency_key) DO NOTHING RETURNING 1`,
      [context.actor, key, method, hash],
    );
    if (claimed.length === 0) {
      const [previous] = await tx.query<{ method: string; request_hash: string; response: T }>(
        'SELECT method, request_hash, response FROM enr_idempotency WHERE actor = $1 AND idempotency_key = $2',
        [context.actor, key],
      );
      if (!previous || previous.method !== method || previous.request_hash !== hash) {
        throw new IdempotencyKeyReusedError();
      }
      return previous.response;
    }
    const response = await work(tx);
    await tx.query(
      'UPDATE enr_idempotency SET response = $3::jsonb WHERE actor = $1 AND idempotency_key = $2',
      [context.actor, key, JSON.stringify(response)],
    );
    return response;
  });
}
