import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** A command whose input is malformed: every field at fault (INVALID_ARGUMENT). */
export class InvalidSubscriptionCommandError extends DomainValidationError {
  override readonly name = 'InvalidSubscriptionCommandError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid subscription command', violations);
  }
}

/** A well-formed command the subscription's state does not allow (FAILED_PRECONDITION). */
export class SubscriptionRuleViolationError extends Error {
  override readonly name = 'SubscriptionRuleViolationError';
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class SubscriptionNotFoundError extends Error {
  override readonly name = 'SubscriptionNotFoundError';
  constructor() {
    super('no such subscription');
  }
}

export class SubscriptionAlreadyExistsError extends Error {
  override readonly name = 'SubscriptionAlreadyExistsError';
  constructor() {
    super('this subscription already exists');
  }
}
