/** The citizen already has an application that is not closed (ALREADY_EXISTS, naming it). */
export class OpenApplicationExistsError extends Error {
  override readonly name = 'OpenApplicationExistsError';
  constructor(readonly applicationId: string) {
    super('the citizen already has an open application; continue or cancel it');
  }
}

/** The register holds no citizen with the number given (NOT_FOUND); nothing was recorded. */
export class CitizenNotInRegisterError extends Error {
  override readonly name = 'CitizenNotInRegisterError';
  constructor() {
    super('the register holds no citizen with this personal id number');
  }
}

/**
 * A dependency a pipeline step needs could not answer. `kind` is what the stuck list shows, e.g.
 * REGISTRY_UNAVAILABLE; the cause stays in the process, never in a response.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly kind: string,
    override readonly cause?: unknown,
  ) {
    super(`dependency unavailable: ${kind}`);
  }
}

/** The data key that encrypted these biometrics was destroyed: they can no longer be read. */
export class BiometricsDestroyedError extends Error {
  override readonly name = 'BiometricsDestroyedError';
  constructor() {
    super("the citizen's biometric data key was destroyed; the data cannot be read");
  }
}

/** No biometric object has this reference (NOT_FOUND). */
export class BiometricNotFoundError extends Error {
  override readonly name = 'BiometricNotFoundError';
  constructor() {
    super('no biometric object has this reference');
  }
}

/** Stored bytes that decrypted to something whose SHA-256 is not the recorded one: tampering. */
export class BiometricIntegrityError extends Error {
  override readonly name = 'BiometricIntegrityError';
  constructor() {
    super('a biometric object failed its integrity check');
  }
}

/** The application changed since the version the caller named (ABORTED). */
export class StaleVersionError extends Error {
  override readonly name = 'StaleVersionError';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`the application is at version ${actual}, not ${expected}`);
  }
}

/** An idempotency key reused for a different request (INVALID_ARGUMENT on the key). */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super('this idempotency key was used for a different request');
  }
}

/** The caller may not see or change this application (another station's). */
export class NotYourStationError extends Error {
  override readonly name = 'NotYourStationError';
  constructor() {
    super("this application belongs to another station's operators");
  }
}

/** The station started more applications in the window than any queue of citizens explains. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number) {
    super('too many applications started at this station just now; wait and retry');
  }
}

/**
 * The card an application says it replaces is not the citizen's (PERMISSION_DENIED
 * `CARD_OF_ANOTHER_CITIZEN`): approving it would have card production revoke someone else's card.
 */
export class CardOfAnotherCitizenError extends Error {
  override readonly name = 'CardOfAnotherCitizenError';
  constructor() {
    super("the card to replace is not this citizen's; name the citizen's own card");
  }
}

/**
 * Enrollment knows no card with the id given as the one replaced (FAILED_PRECONDITION
 * `UNKNOWN_CARD`, with a retry hint): a mistyped id, or a card made moments ago whose news from
 * card production has not arrived yet. A card issued before this platform has no id here: leave
 * the field empty.
 */
export class UnknownCardError extends Error {
  override readonly name = 'UnknownCardError';
  /** When a retry may find a card whose news was on its way. */
  readonly retryAfterMs = 30_000;
  constructor() {
    super(
      'no card with this id is known for replacement: check the id; a card made just now is known once card ' +
        'production reports it (retry shortly); leave it empty for a card issued before this platform',
    );
  }
}
