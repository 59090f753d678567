import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** A command whose input is malformed or out of range: every field at fault (INVALID_ARGUMENT). */
export class InvalidCitizenCommandError extends DomainValidationError {
  override readonly name = 'InvalidCitizenCommandError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid command', violations);
  }
}

/**
 * A well-formed command the record's current state does not allow (FAILED_PRECONDITION): a residence
 * change after death, a divorce of someone not married. `reason` is a stable code for clients.
 */
export class CitizenRuleViolationError extends Error {
  override readonly name = 'CitizenRuleViolationError';
  constructor(
    readonly reason: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class CitizenNotFoundError extends Error {
  override readonly name = 'CitizenNotFoundError';
  constructor() {
    super('no citizen is registered under this id');
  }
}

export class CitizenAlreadyRegisteredError extends Error {
  override readonly name = 'CitizenAlreadyRegisteredError';
  constructor() {
    super('this citizen record is already registered');
  }
}
