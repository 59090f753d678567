import type { CitizenField } from '../domain/catalogue/fields.js';

/**
 * Why an agency's call is refused. None of them says anything about a citizen: a citizen outside
 * the scope and one who does not exist are the same `CitizenNotVisibleError`.
 */
export class AgencyRefusedError extends Error {
  override readonly name = 'AgencyRefusedError';
  constructor(
    readonly reason:
      'SUBSCRIPTION_NOT_ACTIVE' | 'PURPOSE_MISMATCH' | 'DELIVERY_NOT_ALLOWED' | 'FIELD_NOT_ALLOWED',
    readonly description: string,
    readonly fields: readonly CitizenField[] = [],
  ) {
    super(description);
  }
}

export class CitizenNotVisibleError extends Error {
  override readonly name = 'CitizenNotVisibleError';
  constructor() {
    super('no such citizen in the scope of this subscription');
  }
}

/** A request that is malformed (INVALID_ARGUMENT), with the fields at fault; never their values. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(readonly violations: readonly { field: string; reason: string; description: string }[]) {
    super(violations.map((v) => `${v.field}: ${v.description}`).join('; '));
  }
}

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(
    readonly retryAfterMs: number,
    readonly limit: string,
  ) {
    super(`the ${limit} rate limit is reached`);
  }
}

/** Asked to read at a position no read or record ever reported. */
export class PositionAheadOfLogError extends Error {
  override readonly name = 'PositionAheadOfLogError';
  constructor() {
    super('the position asked for is ahead of every recorded event');
  }
}

/** The projection did not reach the position asked for before the deadline. */
export class PositionNotReachedError extends Error {
  override readonly name = 'PositionNotReachedError';
  constructor(readonly position: bigint) {
    super('the projection has not reached the position asked for yet');
  }
}

/** The subscription moved on since the version the caller gave (ABORTED). */
export class StaleSubscriptionVersionError extends Error {
  override readonly name = 'StaleSubscriptionVersionError';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`the subscription is at version ${actual}, not ${expected}`);
  }
}

/** The agency already has a subscription that is not revoked (ALREADY_EXISTS). */
export class AgencyHasLiveSubscriptionError extends Error {
  override readonly name = 'AgencyHasLiveSubscriptionError';
  constructor() {
    super('the agency already has a subscription that is not revoked; change or revoke it');
  }
}
