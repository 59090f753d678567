/** A chip file is well-formed TLV but not the LDS structure it should be. */
export class LdsError extends Error {
  override readonly name = 'LdsError';
}
