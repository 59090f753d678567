import { concatBytes } from '../bytes.js';
import { TlvError } from './errors.js';
import { encodeLength, readLength } from './length.js';
import { encodeTag, isConstructed, readTag } from './tag.js';

/** One decoded data object. */
export interface Tlv {
  readonly tag: number;
  readonly constructed: boolean;
  readonly value: Uint8Array;
  /** The data objects inside a constructed value; empty for a primitive one. */
  readonly children: readonly Tlv[];
  /** Tag, length and value exactly as they were read: signatures and hashes cover these bytes. */
  readonly encoded: Uint8Array;
}

export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(encodeTag(tag), encodeLength(value.length), value);
}

/** A primitive data object; refuses a tag whose constructed bit says otherwise. */
export function primitive(tag: number, value: Uint8Array): Uint8Array {
  if (isConstructed(tag)) throw new TlvError(`tag 0x${tag.toString(16)} is constructed, not primitive`);
  return encodeTlv(tag, value);
}

/** A constructed data object holding already-encoded children. */
export function constructed(tag: number, ...children: readonly Uint8Array[]): Uint8Array {
  if (!isConstructed(tag)) throw new TlvError(`tag 0x${tag.toString(16)} is primitive, not constructed`);
  return encodeTlv(tag, concatBytes(...children));
}

/**
 * Decodes the data object at `offset` of `bytes`, which must end by `limit` (the end of the
 * enclosing value). Offsets stay those of the whole input, so errors point at the right byte.
 */
function decodeAt(bytes: Uint8Array, offset: number, limit: number): Tlv {
  const window = bytes.subarray(0, limit);
  const { tag, end: lengthAt } = readTag(window, offset);
  const { length, end: valueAt } = readLength(window, lengthAt);
  const valueEnd = valueAt + length;
  if (valueEnd > limit) {
    throw new TlvError(
      `truncated: tag 0x${tag.toString(16)} at offset ${offset} declares ${length} bytes, ${limit - valueAt} remain`,
    );
  }
  const composite = isConstructed(tag);
  return {
    tag,
    constructed: composite,
    value: bytes.subarray(valueAt, valueEnd),
    children: composite ? decodeRange(bytes, valueAt, valueEnd) : [],
    encoded: bytes.subarray(offset, valueEnd),
  };
}

function decodeRange(bytes: Uint8Array, start: number, end: number): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = start; offset < end;) {
    const node = decodeAt(bytes, offset, end);
    out.push(node);
    offset += node.encoded.length;
  }
  return out;
}

/** Decodes exactly one data object; bytes after it are an error, not something to ignore. */
export function decodeTlv(bytes: Uint8Array): Tlv {
  const node = decodeAt(bytes, 0, bytes.length);
  if (node.encoded.length !== bytes.length) {
    throw new TlvError(
      `${bytes.length - node.encoded.length} unexpected bytes after tag 0x${node.tag.toString(16)}`,
    );
  }
  return node;
}

/** Decodes a concatenation of data objects, such as the value of a constructed one. */
export function decodeTlvs(bytes: Uint8Array): Tlv[] {
  return decodeRange(bytes, 0, bytes.length);
}

/** The child with `tag`, or an error naming where it was expected. */
export function requireChild(parent: Tlv, tag: number, what: string): Tlv {
  const found = parent.children.find((c) => c.tag === tag);
  if (!found)
    throw new TlvError(`${what}: tag 0x${tag.toString(16)} missing in 0x${parent.tag.toString(16)}`);
  return found;
}

export function expectTag(node: Tlv, tag: number, what: string): Tlv {
  if (node.tag !== tag) {
    throw new TlvError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  }
  return node;
}

/** The child at `index`, or an error naming the missing field. */
export function childAt(parent: Tlv, index: number, what: string): Tlv {
  const found = parent.children[index];
  if (!found) throw new TlvError(`${what}: missing in 0x${parent.tag.toString(16)}`);
  return found;
}
