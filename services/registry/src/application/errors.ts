import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** The record changed since the version the caller named (ABORTED: re-read and decide again). */
export class StaleVersionError extends Error {
  override readonly name = 'StaleVersionError';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`the record is at version ${actual}, not ${expected}`);
  }
}

/** An idempotency key reused for a different request (INVALID_ARGUMENT on the key). */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super('this idempotency key was used for a different request');
  }
}

/** The personal id number given on import is already held by another record (ALREADY_EXISTS). */
export class PersonalIdInUseError extends Error {
  override readonly name = 'PersonalIdInUseError';
  constructor() {
    super('this personal id number is already registered');
  }
}

/** No free number could be drawn (the year-province-sex block is nearly exhausted). */
export class PersonalIdExhaustedError extends Error {
  override readonly name = 'PersonalIdExhaustedError';
  constructor() {
    super('no free personal id number was found for this birth; the block is nearly exhausted');
  }
}

/**
 * A query or reference that is malformed or names nothing that exists (INVALID_ARGUMENT with every
 * field at fault): a page token not issued for this search, a date that does not exist, a unit code
 * no unit holds.
 */
export class InvalidRequestError extends DomainValidationError {
  override readonly name = 'InvalidRequestError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid request', violations);
  }
}
