import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { TlvError } from '../tlv/errors.js';
import { decodeTlv } from '../tlv/tlv.js';
import { readInteger, readOid, readText, readTime } from './der-read.js';
import { derInteger, derOid, derSet, derTime, derUtf8String } from './der.js';

const hex = (bytes: Uint8Array): string => toHex(bytes).toUpperCase();

describe('DER values', () => {
  it('encodes OIDs as X.690 says and reads them back', () => {
    assert.equal(hex(derOid('2.23.136.1.1.1')), '0606678108010101');
    assert.equal(hex(derOid('1.2.840.113549.1.7.2')), '06092A864886F70D010702');
    assert.equal(hex(derOid('2.999.3')), '0603883703');
    for (const oid of ['2.23.136.1.1.1', '1.2.840.10045.4.3.2', '2.999.3', '0.0']) {
      assert.equal(readOid(decodeTlv(derOid(oid)), 'oid'), oid);
    }
    assert.throws(() => derOid('1.2.03'), RangeError);
    assert.throws(() => derOid('1.40'), RangeError);
    assert.throws(() => readOid(decodeTlv(fromHex('0603 2A8048')), 'oid'), TlvError);
  });

  it('encodes non-negative INTEGERs minimally and refuses non-minimal ones on read', () => {
    const cases: [number | bigint, string][] = [
      [0, '020100'],
      [127, '02017F'],
      [128, '02020080'],
      [256, '02020100'],
      [2n ** 64n, '0209010000000000000000'],
    ];
    for (const [value, encoding] of cases) {
      assert.equal(hex(derInteger(value)), encoding);
      assert.equal(readInteger(decodeTlv(fromHex(encoding)), 'n'), BigInt(value));
    }
    assert.equal(readInteger(decodeTlv(fromHex('0201FF')), 'n'), -1n);
    assert.throws(() => readInteger(decodeTlv(fromHex('0202007F')), 'n'), /not minimally encoded/);
    assert.throws(() => readInteger(decodeTlv(fromHex('0200')), 'n'), /empty INTEGER/);
    assert.throws(() => readInteger(decodeTlv(fromHex('040100')), 'n'), /expected tag 0x2/);
  });

  it('writes UTCTime up to 2049 and GeneralizedTime from 2050', () => {
    const before = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));
    const after = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
    assert.equal(
      hex(derTime(before)),
      `170D${toHex(new TextEncoder().encode('491231235959Z')).toUpperCase()}`,
    );
    assert.equal(decodeTlv(derTime(after)).tag, 0x18);
    assert.deepEqual(readTime(decodeTlv(derTime(before)), 't'), before);
    assert.deepEqual(readTime(decodeTlv(derTime(after)), 't'), after);
    const february30 = decodeTlv(Uint8Array.from([0x17, 13, ...new TextEncoder().encode('230230000000Z')]));
    assert.throws(() => readTime(february30, 't'), /not a date/);
  });

  it('orders the members of a SET OF by their encodings', () => {
    const set = decodeTlv(derSet(derInteger(300), derInteger(5), derUtf8String('a')));
    assert.deepEqual(
      set.children.map((c) => hex(c.encoded)),
      ['020105', '0202012C', '0C0161'],
    );
  });

  it('reads UTF-8 text and refuses invalid UTF-8', () => {
    assert.equal(readText(decodeTlv(derUtf8String('Nguyễn Văn An')), 's'), 'Nguyễn Văn An');
    assert.throws(() => readText(decodeTlv(fromHex('0C02C328')), 's'), TypeError);
  });
});
