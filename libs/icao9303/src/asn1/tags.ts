/** Universal ASN.1 tags used by the LDS, CMS and certificate structures. */
export const Asn1 = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** `[n]` context-specific tag: constructed for EXPLICIT and for IMPLICIT SET/SEQUENCE. */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] is out of range`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}
