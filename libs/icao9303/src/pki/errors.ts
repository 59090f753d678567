/** A key, certificate or signer that cannot serve the role it was given. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}
