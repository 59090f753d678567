/** The MRZ text is not well formed (line count, length or alphabet): nothing in it can be trusted. */
export class MrzFormatError extends Error {
  override readonly name = 'MrzFormatError';
}

/**
 * A field given to the MRZ encoder cannot be written in its MRZ position. The message names the
 * field and the rule, never the value: names, numbers and birth dates are personal data, and
 * errors reach logs.
 */
export class MrzFieldError extends Error {
  override readonly name = 'MrzFieldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
