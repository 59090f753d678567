/** EF.SOD is readable TLV but not the CMS SignedData over an LDS security object it must be. */
export class SodError extends Error {
  override readonly name = 'SodError';
}
