import { ConcurrencyRetriesExhaustedError } from '@cancuoc/eventstore';
import {
  CANCUOC_ERROR_DOMAIN,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
  aborted,
  alreadyExists,
  concurrencyConflict,
  errorDetail,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  rpcError,
  status,
} from '@cancuoc/grpc';
import { DomainValidationError } from '@cancuoc/identity';
import {
  ApplicationAlreadyStartedError,
  ApplicationNotFoundError,
  ApplicationRuleViolationError,
} from '../../domain/application/errors.js';
import {
  BiometricIntegrityError,
  BiometricNotFoundError,
  BiometricsDestroyedError,
  CardOfAnotherCitizenError,
  CitizenNotInRegisterError,
  DependencyUnavailableError,
  IdempotencyKeyReusedError,
  NotYourStationError,
  OpenApplicationExistsError,
  RateLimitedError,
  StaleVersionError,
  UnknownCardError,
} from '../../application/errors.js';

const snake = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Enrollment's refusals as gRPC statuses with details an operator's client can act on. Anything
 * else propagates and becomes INTERNAL, with nothing of it sent to the caller.
 */
export function toRpcError(error: unknown): unknown {
  if (error instanceof DomainValidationError) {
    return invalidArgument(
      error.violations.map((v) => ({ field: snake(v.field), reason: v.reason, description: v.description })),
    );
  }
  if (error instanceof ApplicationRuleViolationError) {
    return failedPrecondition(
      [{ type: error.rule, subject: 'application', description: error.description }],
      undefined,
      {
        reason: error.rule,
      },
    );
  }
  if (error instanceof OpenApplicationExistsError) {
    return alreadyExists('card application', error.applicationId, error.message);
  }
  if (error instanceof ApplicationAlreadyStartedError)
    return alreadyExists('card application', '', error.message);
  if (error instanceof ApplicationNotFoundError)
    return notFound('card application', 'application_id', error.message);
  if (error instanceof CitizenNotInRegisterError) return notFound('citizen', 'personal_id', error.message);
  if (error instanceof BiometricNotFoundError) return notFound('biometric', 'reference', error.message);
  if (error instanceof StaleVersionError)
    return concurrencyConflict('application', error.expected, error.actual);
  if (error instanceof ConcurrencyRetriesExhaustedError) {
    return aborted(
      { reason: 'CONCURRENCY_RETRIES_EXHAUSTED' },
      'the application is being changed concurrently; retry',
    );
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return invalidArgument([{ field: 'idempotency-key', reason: 'KEY_REUSED', description: error.message }]);
  }
  if (error instanceof BiometricsDestroyedError) {
    return failedPrecondition(
      [{ type: 'BIOMETRICS_ERASED', subject: 'biometric', description: error.message }],
      undefined,
      { reason: 'BIOMETRICS_ERASED' },
    );
  }
  if (error instanceof NotYourStationError) {
    return permissionDenied(error.message, { reason: 'OTHER_STATION' });
  }
  if (error instanceof CardOfAnotherCitizenError) {
    return permissionDenied(error.message, { reason: 'CARD_OF_ANOTHER_CITIZEN' });
  }
  if (error instanceof UnknownCardError) {
    return rpcError(
      status.FAILED_PRECONDITION,
      error.message,
      errorDetail(PreconditionFailureSchema, {
        violations: [{ type: 'UNKNOWN_CARD', subject: 'replaces_card_id', description: error.message }],
      }),
      errorDetail(ErrorInfoSchema, { reason: 'UNKNOWN_CARD', domain: CANCUOC_ERROR_DOMAIN }),
      errorDetail(RetryInfoSchema, { retryDelay: { seconds: BigInt(error.retryAfterMs / 1000) } }),
    );
  }
  if (error instanceof BiometricIntegrityError) return rpcError(status.DATA_LOSS, error.message);
  if (error instanceof DependencyUnavailableError) return rpcError(status.UNAVAILABLE, error.message);
  if (error instanceof RateLimitedError) {
    return rpcError(
      status.RESOURCE_EXHAUSTED,
      error.message,
      errorDetail(ErrorInfoSchema, {
        reason: 'RATE_LIMITED',
        domain: CANCUOC_ERROR_DOMAIN,
        metadata: { retryAfterMs: String(error.retryAfterMs) },
      }),
    );
  }
  return error;
}

export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toRpcError(error);
  }
}
