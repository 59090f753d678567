import { ConcurrencyRetriesExhaustedError } from '@cancuoc/eventstore';
import {
  aborted,
  alreadyExists,
  concurrencyConflict,
  ErrorInfoSchema,
  errorDetail,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  RetryInfoSchema,
  rpcError,
  status,
  CANCUOC_ERROR_DOMAIN,
} from '@cancuoc/grpc';
import { DomainValidationError } from '@cancuoc/identity';
import {
  AgencyHasLiveSubscriptionError,
  AgencyRefusedError,
  CitizenNotVisibleError,
  InvalidRequestError,
  PositionAheadOfLogError,
  PositionNotReachedError,
  RateLimitedError,
  StaleSubscriptionVersionError,
} from '../../application/errors.js';
import {
  SubscriptionAlreadyExistsError,
  SubscriptionNotFoundError,
  SubscriptionRuleViolationError,
} from '../../domain/subscription/errors.js';

const snake = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const retryAfter = (ms: number) =>
  errorDetail(RetryInfoSchema, {
    retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
  });
const info = (reason: string, metadata: Record<string, string> = {}) =>
  errorDetail(ErrorInfoSchema, { reason, domain: CANCUOC_ERROR_DOMAIN, metadata });

/**
 * Data sharing's refusals as gRPC statuses with details. Messages and details name fields, rules
 * and limits, never a value: nothing about a citizen, not even whether one exists. Anything else
 * propagates and becomes INTERNAL, with nothing of it sent.
 */
export function toRpcError(error: unknown, prefix = ''): unknown {
  if (error instanceof DomainValidationError) {
    return invalidArgument(
      error.violations.map((v) => ({
        field: `${prefix}${snake(v.field)}`,
        reason: v.reason,
        description: v.description,
      })),
    );
  }
  if (error instanceof InvalidRequestError) return invalidArgument(error.violations);
  if (error instanceof SubscriptionRuleViolationError) {
    return failedPrecondition(
      [{ type: error.reason, subject: 'subscription', description: error.description }],
      undefined,
      {
        reason: error.reason,
      },
    );
  }
  if (error instanceof SubscriptionNotFoundError)
    return notFound('subscription', 'subscription_id', error.message);
  if (error instanceof SubscriptionAlreadyExistsError || error instanceof AgencyHasLiveSubscriptionError)
    return alreadyExists('subscription', 'agency', error.message);
  if (error instanceof StaleSubscriptionVersionError)
    return concurrencyConflict('subscription', error.expected, error.actual);
  if (error instanceof ConcurrencyRetriesExhaustedError)
    return aborted(
      { reason: 'CONCURRENCY_RETRIES_EXHAUSTED' },
      'the subscription is being changed concurrently; retry',
    );
  if (error instanceof AgencyRefusedError)
    return permissionDenied(error.message, {
      reason: error.reason,
      metadata: { fields: error.fields.join(',') },
    });
  if (error instanceof CitizenNotVisibleError) return notFound('citizen', 'citizen', error.message);
  if (error instanceof RateLimitedError)
    return rpcError(
      status.RESOURCE_EXHAUSTED,
      error.message,
      info('RATE_LIMITED', { limit: error.limit }),
      retryAfter(error.retryAfterMs),
    );
  if (error instanceof PositionAheadOfLogError)
    return failedPrecondition(
      [{ type: 'POSITION_AHEAD_OF_LOG', subject: 'consistency.min_position', description: error.message }],
      error.message,
      { reason: 'POSITION_AHEAD_OF_LOG' },
    );
  if (error instanceof PositionNotReachedError)
    return rpcError(
      status.UNAVAILABLE,
      error.message,
      info('POSITION_NOT_REACHED', { position: error.position.toString() }),
      retryAfter(500),
    );
  return error;
}

export async function guarded<T>(work: () => Promise<T>, prefix = ''): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toRpcError(error, prefix);
  }
}
