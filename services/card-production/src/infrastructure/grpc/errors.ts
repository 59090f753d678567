import { ConcurrencyRetriesExhaustedError } from '@cancuoc/eventstore';
import { aborted, failedPrecondition, invalidArgument, notFound, permissionDenied } from '@cancuoc/grpc';
import { DomainValidationError } from '@cancuoc/identity';
import { SignerUnavailableError } from '../../application/ports.js';
import { ChipVoidedError } from '../../application/station-reports.js';
import {
  CardNotFoundError,
  CardRuleViolationError,
  LeaseOfAnotherStationError,
  UnknownLeaseError,
} from '../../domain/card/errors.js';

const snake = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Card production's refusals as gRPC statuses with details; messages and details never hold
 * personal data. Anything else propagates and becomes INTERNAL with an incident id.
 */
export function toRpcError(error: unknown, renames: Readonly<Record<string, string>> = {}): unknown {
  if (error instanceof DomainValidationError) {
    return invalidArgument(
      error.violations.map((v) => ({
        field: renames[v.field] ?? snake(v.field),
        reason: v.reason,
        description: v.description,
      })),
    );
  }
  if (error instanceof CardRuleViolationError) {
    return failedPrecondition(
      [{ type: error.reason, subject: 'card', description: error.description }],
      undefined,
      {
        reason: error.reason,
      },
    );
  }
  if (error instanceof ChipVoidedError) {
    return failedPrecondition(
      [{ type: error.reason, subject: 'lease', description: error.message }],
      undefined,
      {
        reason: error.reason,
        metadata: { chip: 'DESTROY' },
      },
    );
  }
  if (error instanceof CardNotFoundError) return notFound('card', 'job_id', error.message);
  if (error instanceof UnknownLeaseError) return notFound('lease', 'lease_id', error.message);
  if (error instanceof LeaseOfAnotherStationError) {
    return permissionDenied(error.message, { reason: 'LEASE_OF_ANOTHER_STATION' });
  }
  if (error instanceof SignerUnavailableError) {
    return failedPrecondition(
      [{ type: 'SIGNER_UNAVAILABLE', subject: 'document-signer', description: error.message }],
      undefined,
      { reason: 'SIGNER_UNAVAILABLE' },
    );
  }
  if (error instanceof ConcurrencyRetriesExhaustedError) {
    return aborted(
      { reason: 'CONCURRENCY_RETRIES_EXHAUSTED' },
      'the card is being changed concurrently; retry',
    );
  }
  return error;
}

export async function guarded<T>(
  work: () => Promise<T>,
  renames?: Readonly<Record<string, string>>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toRpcError(error, renames);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Refuses ids that are not UUIDs before any lookup, naming the field. */
export function requireIds(ids: Readonly<Record<string, string>>): void {
  const bad = Object.entries(ids).filter(([, value]) => !UUID.test(value));
  if (bad.length > 0) {
    throw invalidArgument(
      bad.map(([field]) => ({ field, reason: 'INVALID_FORMAT', description: 'a lower-case UUID' })),
    );
  }
}
