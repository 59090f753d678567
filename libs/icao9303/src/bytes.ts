/** Byte helpers shared by the encoders: plain Uint8Array in and out, so callers need no Buffer. */

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order of byte strings, the order DER uses for the members of a SET OF. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new RangeError(`not a hex byte string: ${hex}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** ASCII only: MRZ text, LDS versions and biometric format tags never carry anything else. */
export function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0x7f) throw new RangeError(`not ASCII: ${JSON.stringify(text)}`);
    return code;
  });
}

export function asciiText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Big-endian unsigned integer of a fixed width, as ISO/IEC 19794-5 headers write them. */
export function uintBytes(value: number, width: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * width)) {
    throw new RangeError(`${value} does not fit in ${width} unsigned bytes`);
  }
  const out = new Uint8Array(width);
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

export function readUint(bytes: Uint8Array, offset: number, width: number): number {
  if (offset + width > bytes.length) throw new RangeError(`need ${width} bytes at offset ${offset}`);
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + bytes[offset + i]!;
  return value;
}
