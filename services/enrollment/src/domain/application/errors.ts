import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** A command whose input is malformed or out of range: every field at fault (INVALID_ARGUMENT). */
export class InvalidApplicationCommandError extends DomainValidationError {
  override readonly name = 'InvalidApplicationCommandError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid command', violations);
  }
}

/**
 * A well-formed command the application's state does not allow (FAILED_PRECONDITION): approving
 * before the duplicate check, capturing at another station. `rule` is a stable code for clients;
 * the description says what to do, and never repeats personal data.
 */
export class ApplicationRuleViolationError extends Error {
  override readonly name = 'ApplicationRuleViolationError';
  constructor(
    readonly rule: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class ApplicationNotFoundError extends Error {
  override readonly name = 'ApplicationNotFoundError';
  constructor() {
    super('no application has this id');
  }
}

export class ApplicationAlreadyStartedError extends Error {
  override readonly name = 'ApplicationAlreadyStartedError';
  constructor() {
    super('this application id is already in use');
  }
}
