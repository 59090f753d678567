/** Bytes that are not the BER-TLV (or DER) structure they claim to be. */
export class TlvError extends Error {
  override readonly name = 'TlvError';
}
