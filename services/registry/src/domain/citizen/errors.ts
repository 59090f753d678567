import { DomainValidationError, type FieldViolation } from '@cancuoc/identity';

/** A command whose input is malformed or out of range: every field at fault (INVALID_ARGUMENT). */
export class InvalidCitizenCommandError extends DomainValidationError {
  override readonly name = 'InvalidCitizenCommandError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid command', violations);
  }
}

/**
 * One rule a well-formed command breaks given the state of the register: its stable code (`type`),
 * what it concerns (`citizen`, or the command's field naming another record: `fatherCitizenId`),
 * and a description that never repeats personal data. The shape of a `PreconditionFailure.Violation`.
 */
export interface RuleViolation {
  readonly type: string;
  readonly subject: string;
  readonly description: string;
}

/**
 * A well-formed command the register's current state does not allow (FAILED_PRECONDITION): a
 * residence change after death, a divorce of someone not married, a parent who is not registered.
 * `reason` is the first rule's code; `violations` holds every rule broken.
 */
export class CitizenRuleViolationError extends Error {
  override readonly name = 'CitizenRuleViolationError';
  readonly violations: readonly RuleViolation[];
  constructor(
    readonly reason: string,
    readonly description: string,
    subject = 'citizen',
    more: readonly RuleViolation[] = [],
  ) {
    super(description);
    this.violations = [{ type: reason, subject, description }, ...more];
  }

  /** The refusal for every rule in `violations` (at least one). */
  static of(violations: readonly RuleViolation[]): CitizenRuleViolationError {
    const [first, ...more] = violations;
    return new CitizenRuleViolationError(first!.type, first!.description, first!.subject, more);
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
