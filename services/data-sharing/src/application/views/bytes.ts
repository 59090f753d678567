/** Bytes as PostgreSQL returns `bytea` (a Buffer from pg, a Uint8Array from PGlite). */
export type Bytes = Uint8Array | null;

export function sameBytes(a: Bytes, b: Bytes): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** For `decode($n, 'hex')`: bytea travels as hex text, which pg and PGlite pass alike inside arrays. */
export function hex(bytes: Bytes): string | null {
  return bytes === null
    ? null
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
