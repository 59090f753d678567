import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { TlvError } from './errors.js';
import { encodeLength } from './length.js';
import { encodeTag, isConstructed } from './tag.js';
import { constructed, decodeTlv, decodeTlvs, encodeTlv, primitive } from './tlv.js';

const hex = (bytes: Uint8Array): string => toHex(bytes).toUpperCase();

describe('BER-TLV', () => {
  it('encodes and decodes multi-byte tags such as 5F1F and 7F61', () => {
    assert.equal(hex(encodeTag(0x5f1f)), '5F1F');
    assert.equal(hex(encodeTag(0x7f61)), '7F61');
    assert.equal(hex(encodeTag(0x5f8101)), '5F8101');
    const node = decodeTlv(fromHex('7F61 09 02 01 01 5F1F 03 414243'));
    assert.equal(node.tag, 0x7f61);
    assert.equal(node.constructed, true);
    assert.deepEqual(
      node.children.map((c) => [c.tag, c.constructed, hex(c.value)]),
      [
        [0x02, false, '01'],
        [0x5f1f, false, '414243'],
      ],
    );
  });

  it('tells constructed from primitive by bit 6 of the first tag byte', () => {
    assert.equal(isConstructed(0x61), true);
    assert.equal(isConstructed(0x7f60), true);
    assert.equal(isConstructed(0x5f2e), false);
    assert.equal(isConstructed(0x04), false);
    // A primitive value is not parsed as TLVs even when it would happen to parse.
    assert.deepEqual(decodeTlv(fromHex('5F1F 02 0100')).children, []);
  });

  it('uses the short length form below 128 and the shortest long form above', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [127, '7F'],
      [128, '8180'],
      [255, '81FF'],
      [256, '820100'],
      [65535, '82FFFF'],
      [65536, '83010000'],
    ];
    for (const [length, encoding] of cases) {
      assert.equal(hex(encodeLength(length)), encoding, `length ${length}`);
      const tlv = encodeTlv(0x04, new Uint8Array(length));
      assert.equal(decodeTlv(tlv).value.length, length);
    }
  });

  it('round-trips nested constructed objects and keeps the bytes as read', () => {
    const big = new Uint8Array(300).fill(7);
    const encoded = constructed(
      0x75,
      constructed(0x7f61, primitive(0x02, Uint8Array.of(1)), primitive(0x5f2e, big)),
    );
    const node = decodeTlv(encoded);
    assert.deepEqual(node.encoded, encoded);
    const inner = node.children[0]!.children[1]!;
    assert.equal(inner.tag, 0x5f2e);
    assert.deepEqual(inner.value, big);
    // BER allows a longer-than-needed length; the bytes as read are what a hash covered.
    const lax = fromHex('04 820003 010203');
    assert.deepEqual(decodeTlv(lax).encoded, lax);
  });

  it('decodes a concatenation of objects', () => {
    assert.deepEqual(
      decodeTlvs(fromHex('020101 020102')).map((n) => hex(n.value)),
      ['01', '02'],
    );
    assert.deepEqual(decodeTlvs(new Uint8Array(0)), []);
  });

  describe('refuses malformed input with an error that says where', () => {
    const cases: [string, string, RegExp][] = [
      ['an empty input', '', /tag expected at offset 0/],
      [
        'a value shorter than its length',
        '04 05 010203',
        /truncated: tag 0x4 at offset 0 declares 5 bytes, 3 remain/,
      ],
      ['a missing length', '04', /truncated: length expected at offset 1/],
      ['long-form length bytes cut off', '04 82 01', /length at offset 1 is cut off/],
      ['a multi-byte tag cut off', '5F', /multi-byte tag at offset 0 is cut off/],
      ['a continuing tag byte cut off', '5F 81', /multi-byte tag at offset 0 is cut off/],
      ['the indefinite length form', '30 80 020101 0000', /indefinite length at offset 1/],
      ['five length bytes', '04 85 0000000001 00', /5 length bytes/],
      ['a non-minimal tag number', '5F 80 01 00', /non-minimal/],
      ['a tag longer than four bytes', '5F 81 81 81 01 00', /longer than 4 bytes/],
      ['bytes after the object', '020101 00', /1 unexpected bytes after tag 0x2/],
      [
        'a child running past its parent',
        '30 03 04 05 01 020304',
        /tag 0x4 at offset 2 declares 5 bytes, 1 remain/,
      ],
      [
        'a malformed child deep inside',
        '61 05 5F1F 03 4142',
        /tag 0x5f1f at offset 2 declares 3 bytes, 2 remain/,
      ],
    ];
    for (const [what, input, message] of cases) {
      it(what, () =>
        assert.throws(
          () => decodeTlv(fromHex(input)),
          (e: unknown) => e instanceof TlvError && message.test(e.message),
        ),
      );
    }
  });

  it('refuses to encode a tag with the wrong constructed bit or a broken multi-byte form', () => {
    assert.throws(() => primitive(0x61, new Uint8Array(0)), TlvError);
    assert.throws(() => constructed(0x5f1f), TlvError);
    assert.throws(() => encodeTag(0x5f), TlvError);
    assert.throws(() => encodeTag(0x5f81), TlvError);
    assert.throws(() => encodeTag(0x4101), TlvError);
  });
});
