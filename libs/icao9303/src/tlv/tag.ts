import { TlvError } from './errors.js';

/**
 * Tags are handled as the number formed by their encoded bytes, the way ICAO writes them:
 * `0x61` (DG1), `0x5F1F` (MRZ), `0x7F61` (biometric group template). Four bytes at most.
 */
const MAX_TAG_BYTES = 4;

function tagBytes(tag: number): number[] {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new TlvError(`tag ${tag} is not a tag`);
  const bytes: number[] = [];
  for (let v = tag; bytes.length === 0 || v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return bytes;
}

/** The first byte's bit 6 (0x20) marks a constructed encoding, whose value is more TLVs. */
export function isConstructed(tag: number): boolean {
  return (tagBytes(tag)[0]! & 0x20) !== 0;
}

export function encodeTag(tag: number): Uint8Array {
  const bytes = tagBytes(tag);
  const multiByte = (bytes[0]! & 0x1f) === 0x1f;
  const wellFormed = multiByte
    ? bytes.length > 1 && bytes.slice(1).every((b, i, rest) => ((b & 0x80) !== 0) === i < rest.length - 1)
    : bytes.length === 1;
  if (!wellFormed) throw new TlvError(`0x${tag.toString(16)} is not a well-formed BER tag`);
  return Uint8Array.from(bytes);
}

/** Reads the tag at `offset`; returns it and the offset just after it. */
export function readTag(bytes: Uint8Array, offset: number): { tag: number; end: number } {
  const first = bytes[offset];
  if (first === undefined) throw new TlvError(`truncated: tag expected at offset ${offset}`);
  let tag = first;
  let end = offset + 1;
  if ((first & 0x1f) !== 0x1f) return { tag, end };
  for (;;) {
    const next = bytes[end];
    if (next === undefined) throw new TlvError(`truncated: multi-byte tag at offset ${offset} is cut off`);
    if (end === offset + 1 && next === 0x80) {
      throw new TlvError(`tag at offset ${offset} has a non-minimal multi-byte number`);
    }
    tag = tag * 256 + next;
    end++;
    if (end - offset > MAX_TAG_BYTES)
      throw new TlvError(`tag at offset ${offset} is longer than ${MAX_TAG_BYTES} bytes`);
    if ((next & 0x80) === 0) return { tag, end };
  }
}
