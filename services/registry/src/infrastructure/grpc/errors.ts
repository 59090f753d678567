import { ConcurrencyRetriesExhaustedError } from '@cancuoc/eventstore';
import {
  aborted,
  alreadyExists,
  concurrencyConflict,
  failedPrecondition,
  invalidArgument,
  notFound,
  rpcError,
  status,
} from '@cancuoc/grpc';
import { DomainValidationError } from '@cancuoc/identity';
import {
  IdempotencyKeyReusedError,
  PersonalIdExhaustedError,
  PersonalIdInUseError,
  StaleVersionError,
} from '../../application/errors.js';
import {
  CitizenAlreadyRegisteredError,
  CitizenNotFoundError,
  CitizenRuleViolationError,
} from '../../domain/citizen/errors.js';

const snake = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Where a field of the domain lies in a request: a prefix (`facts.`), or a function of the field. */
export type FieldPath = string | ((field: string) => string);

/**
 * The register's refusals as gRPC statuses with details. Field paths, and the subjects of rules
 * about another record (`father_citizen_id`), are the request's, in snake_case under `prefix`
 * (`facts.birth_date`). Anything else propagates and becomes INTERNAL, with nothing of it sent to
 * the caller.
 */
export function toRpcError(error: unknown, prefix: FieldPath = ''): unknown {
  const path = (field: string) => (typeof prefix === 'string' ? `${prefix}${snake(field)}` : prefix(field));
  if (error instanceof DomainValidationError) {
    return invalidArgument(
      error.violations.map((v) => ({
        field: path(v.field),
        reason: v.reason,
        description: v.description,
      })),
    );
  }
  if (error instanceof CitizenRuleViolationError) {
    return failedPrecondition(
      error.violations.map((v) => ({
        type: v.type,
        subject: v.subject === 'citizen' ? 'citizen' : path(v.subject),
        description: v.description,
      })),
      undefined,
      { reason: error.reason },
    );
  }
  if (error instanceof CitizenNotFoundError) return notFound('citizen', 'personal_id', error.message);
  if (error instanceof CitizenAlreadyRegisteredError || error instanceof PersonalIdInUseError) {
    return alreadyExists('citizen', 'personal_id', error.message);
  }
  if (error instanceof StaleVersionError) return concurrencyConflict('citizen', error.expected, error.actual);
  if (error instanceof ConcurrencyRetriesExhaustedError) {
    return aborted(
      { reason: 'CONCURRENCY_RETRIES_EXHAUSTED' },
      'the record is being changed concurrently; retry',
    );
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return invalidArgument([{ field: 'idempotency-key', reason: 'KEY_REUSED', description: error.message }]);
  }
  if (error instanceof PersonalIdExhaustedError) return rpcError(status.RESOURCE_EXHAUSTED, error.message);
  return error;
}
