import { asciiText } from '../bytes.js';
import { TlvError } from '../tlv/errors.js';
import { expectTag, type Tlv } from '../tlv/tlv.js';
import { Asn1 } from './tags.js';

/** DER readers: each checks the tag it expects and refuses encodings DER does not allow. */

export function readInteger(node: Tlv, what: string): bigint {
  const { value } = expectTag(node, Asn1.INTEGER, what);
  if (value.length === 0) throw new TlvError(`${what}: empty INTEGER`);
  if (
    value.length > 1 &&
    ((value[0] === 0 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80))
  ) {
    throw new TlvError(`${what}: INTEGER is not minimally encoded`);
  }
  let n = 0n;
  for (const b of value) n = (n << 8n) | BigInt(b);
  return value[0]! >= 0x80 ? n - (1n << BigInt(8 * value.length)) : n;
}

/** An INTEGER that must be a small non-negative number (versions, data group numbers). */
export function readSmallInteger(node: Tlv, what: string): number {
  const n = readInteger(node, what);
  if (n < 0n || n > 0xffffn) throw new TlvError(`${what}: ${n} is out of range`);
  return Number(n);
}

export function readOid(node: Tlv, what: string): string {
  const { value } = expectTag(node, Asn1.OID, what);
  if (value.length === 0 || (value[value.length - 1]! & 0x80) !== 0)
    throw new TlvError(`${what}: malformed OID`);
  const arcs: bigint[] = [];
  let current = 0n;
  let fresh = true;
  for (const b of value) {
    if (fresh && b === 0x80) throw new TlvError(`${what}: OID arc is not minimally encoded`);
    current = (current << 7n) | BigInt(b & 0x7f);
    fresh = (b & 0x80) === 0;
    if (fresh) {
      arcs.push(current);
      current = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

export function readOctetString(node: Tlv, what: string): Uint8Array {
  return expectTag(node, Asn1.OCTET_STRING, what).value;
}

/** UTF8String, PrintableString or IA5String as text. */
export function readText(node: Tlv, what: string): string {
  if (node.tag === Asn1.UTF8_STRING) return new TextDecoder('utf-8', { fatal: true }).decode(node.value);
  if (node.tag === Asn1.PRINTABLE_STRING || node.tag === Asn1.IA5_STRING) return asciiText(node.value);
  throw new TlvError(`${what}: expected a string, found tag 0x${node.tag.toString(16)}`);
}

/** UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`). */
export function readTime(node: Tlv, what: string): Date {
  const text = asciiText(node.value);
  const pattern =
    node.tag === Asn1.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
      : node.tag === Asn1.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
        : undefined;
  const m = pattern?.exec(text);
  if (!m) throw new TlvError(`${what}: ${JSON.stringify(text)} is not a DER time`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = node.tag === Asn1.UTC_TIME ? (year < 50 ? 2000 + year : 1900 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    throw new TlvError(`${what}: ${text} is not a date`);
  return date;
}

/** The OID of an AlgorithmIdentifier; parameters are left to the caller. */
export function readAlgorithmOid(node: Tlv, what: string): string {
  const [oid] = expectTag(node, Asn1.SEQUENCE, what).children;
  if (!oid) throw new TlvError(`${what}: empty AlgorithmIdentifier`);
  return readOid(oid, what);
}
