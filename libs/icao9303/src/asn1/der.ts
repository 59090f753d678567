import { asciiBytes, compareBytes } from '../bytes.js';
import { constructed, encodeTlv, primitive } from '../tlv/tlv.js';
import { Asn1, contextTag } from './tags.js';

/** DER writers for the few ASN.1 types the LDS and CMS need. Inputs are encoded children. */

export const derSequence = (...children: readonly Uint8Array[]): Uint8Array =>
  constructed(Asn1.SEQUENCE, ...children);

/** DER orders the members of a SET OF by their encodings (X.690 §11.6); signed attributes rely on it. */
export const derSet = (...children: readonly Uint8Array[]): Uint8Array =>
  constructed(Asn1.SET, ...[...children].sort(compareBytes));

export const derExplicit = (n: number, inner: Uint8Array): Uint8Array =>
  constructed(contextTag(n, true), inner);

export const derOctetString = (bytes: Uint8Array): Uint8Array => primitive(Asn1.OCTET_STRING, bytes);

export const derNull = (): Uint8Array => primitive(Asn1.NULL, new Uint8Array(0));

export const derUtf8String = (text: string): Uint8Array =>
  primitive(Asn1.UTF8_STRING, new TextEncoder().encode(text));

export function derPrintableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text))
    throw new RangeError(`${JSON.stringify(text)} is not printable`);
  return primitive(Asn1.PRINTABLE_STRING, asciiBytes(text));
}

/** The content octets of a non-negative INTEGER: big-endian, minimal, a leading 0 if the top bit is set. */
export function integerContent(value: number | bigint): Uint8Array {
  const n = BigInt(value);
  if (n < 0n) throw new RangeError('negative integers are not used in these structures');
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

export const derInteger = (value: number | bigint): Uint8Array =>
  primitive(Asn1.INTEGER, integerContent(value));

function base128(value: bigint): number[] {
  const out = [Number(value & 0x7fn)];
  for (let v = value >> 7n; v > 0n; v >>= 7n) out.unshift(Number(v & 0x7fn) | 0x80);
  return out;
}

export function derOid(dotted: string): Uint8Array {
  if (!/^[0-2]\.(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(dotted)) throw new RangeError(`${dotted} is not an OID`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  if (first < 2n && second > 39n) throw new RangeError(`${dotted}: second arc must be below 40`);
  return primitive(Asn1.OID, Uint8Array.from([first * 40n + second, ...rest].flatMap(base128)));
}

const two = (n: number): string => String(n).padStart(2, '0');

/** UTCTime for 1950–2049 and GeneralizedTime otherwise, as RFC 5280 §4.1.2.5 and RFC 5652 require. */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z';
  return year >= 1950 && year < 2050
    ? encodeTlv(Asn1.UTC_TIME, asciiBytes(two(year % 100) + rest))
    : encodeTlv(Asn1.GENERALIZED_TIME, asciiBytes(String(year).padStart(4, '0') + rest));
}

/** AlgorithmIdentifier; `parameters` absent unless given (RFC 5754 for SHA-2, RFC 5758 for ECDSA). */
export const derAlgorithm = (oid: string, parameters?: Uint8Array): Uint8Array =>
  derSequence(derOid(oid), ...(parameters ? [parameters] : []));
