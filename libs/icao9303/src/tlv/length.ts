import { TlvError } from './errors.js';

/** Lengths up to 2^32 − 1: four length bytes, far beyond any chip file. */
const MAX_LENGTH_BYTES = 4;

/** Short form below 128, else the definite long form with as few bytes as possible. */
export function encodeLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new TlvError(`length ${length} cannot be encoded`);
  }
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

/**
 * Reads a definite length at `offset`. The indefinite form (0x80) is refused: LDS files and
 * DER never use it, and accepting it would let a reader run past the end of a file.
 */
export function readLength(bytes: Uint8Array, offset: number): { length: number; end: number } {
  const first = bytes[offset];
  if (first === undefined) throw new TlvError(`truncated: length expected at offset ${offset}`);
  if (first < 0x80) return { length: first, end: offset + 1 };
  const count = first & 0x7f;
  if (count === 0) throw new TlvError(`indefinite length at offset ${offset} is not allowed`);
  if (count > MAX_LENGTH_BYTES) throw new TlvError(`length at offset ${offset} has ${count} length bytes`);
  if (offset + 1 + count > bytes.length)
    throw new TlvError(`truncated: length at offset ${offset} is cut off`);
  let length = 0;
  for (let i = 1; i <= count; i++) length = length * 256 + bytes[offset + i]!;
  return { length, end: offset + 1 + count };
}
