/**
 * One thing wrong with one input field. The shape of a `google.rpc.BadRequest.FieldViolation`, so a
 * service can turn a refusal into gRPC error details without translating it.
 */
export interface FieldViolation {
  /** The input field at fault, as the caller named it (`birthDate`, `personalId`, …). */
  readonly field: string;
  /** A stable UPPER_SNAKE_CASE code that clients may branch on. */
  readonly reason: string;
  /**
   * What is wrong, for a clerk to read. It never repeats the values given (a birth date, an id
   * number): errors reach logs, and logs hold no personal data.
   */
  readonly description: string;
}

/** Refusal of an input that breaks a domain rule; carries every violation found, not only the first. */
export abstract class DomainValidationError extends Error {
  constructor(
    message: string,
    readonly violations: readonly FieldViolation[],
  ) {
    super(`${message}: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`);
  }
}

/** A personal identification number that is malformed or contradicts the record it came with. */
export class InvalidPersonalIdError extends DomainValidationError {
  override readonly name = 'InvalidPersonalIdError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid personal identification number', violations);
  }
}

/** Text that is not a real day of the Gregorian calendar in YYYY-MM-DD form. */
export class InvalidCalendarDateError extends DomainValidationError {
  override readonly name = 'InvalidCalendarDateError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid calendar date', violations);
  }
}

/** A personal name that is empty or holds characters no name can hold. */
export class InvalidNameError extends DomainValidationError {
  override readonly name = 'InvalidNameError';
  constructor(violations: readonly FieldViolation[]) {
    super('invalid name', violations);
  }
}

/** No card validity can be worked out: no law governs the issue date, or the holder is too young. */
export class CardValidityError extends DomainValidationError {
  override readonly name = 'CardValidityError';
  constructor(violations: readonly FieldViolation[]) {
    super('no card validity applies', violations);
  }
}

/**
 * Reference data that contradicts itself (a merger of a unit not in force, a code in two units at
 * once). Raised when the data is loaded, so a bad edit fails the build's tests, not a clerk's request.
 */
export class InconsistentReferenceDataError extends Error {
  override readonly name = 'InconsistentReferenceDataError';
}
