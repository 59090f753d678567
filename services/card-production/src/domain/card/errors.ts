import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** A command whose input is malformed (INVALID_ARGUMENT), with every field at fault. */
export class InvalidCardCommandError extends DomainValidationError {
  override readonly name = 'InvalidCardCommandError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid command', violations);
  }
}

/**
 * A well-formed command the card's state does not allow (FAILED_PRECONDITION): shipping a card
 * that was not quality-checked, cancelling one already shipped. `reason` is a stable code.
 */
export class CardRuleViolationError extends Error {
  override readonly name = 'CardRuleViolationError';
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class CardNotFoundError extends Error {
  override readonly name = 'CardNotFoundError';
  constructor() {
    super('no card job has this id');
  }
}

/** A station settling a lease the job never had (NOT_FOUND). */
export class UnknownLeaseError extends Error {
  override readonly name = 'UnknownLeaseError';
  constructor() {
    super('this job has no lease with this id');
  }
}

/** A station settling another station's lease (PERMISSION_DENIED): nothing is recorded. */
export class LeaseOfAnotherStationError extends Error {
  override readonly name = 'LeaseOfAnotherStationError';
  constructor() {
    super('this lease was granted to another station');
  }
}
