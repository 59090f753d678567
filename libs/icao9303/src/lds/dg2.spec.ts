import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiBytes, concatBytes, readUint, toHex } from '../bytes.js';
import { jp2Image, j2kCodestream, jpegImage } from '../test-support/images.js';
import { constructed, decodeTlv, primitive } from '../tlv/tlv.js';
import { buildDg2, parseDg2 } from './dg2.js';
import { LdsError } from './errors.js';
import { decodeFaceRecord, encodeFaceRecord } from './face-record.js';
import { inspectImage } from './image-info.js';

describe('face image headers', () => {
  it('reads encoding and size from JPEG, JP2 and raw JPEG 2000 codestreams', () => {
    assert.deepEqual(inspectImage(jpegImage(413, 531)), { encoding: 'jpeg', width: 413, height: 531 });
    assert.deepEqual(inspectImage(jp2Image(240, 320)), { encoding: 'jpeg2000', width: 240, height: 320 });
    assert.deepEqual(inspectImage(j2kCodestream(240, 320)), {
      encoding: 'jpeg2000',
      width: 240,
      height: 320,
    });
  });

  it('refuses other formats and cut-off headers', () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    assert.throws(() => inspectImage(png), /neither JPEG nor JPEG 2000/);
    assert.throws(() => inspectImage(jpegImage(10, 10).subarray(0, 40)), LdsError);
    assert.throws(() => inspectImage(jp2Image(10, 10).subarray(0, 30)), LdsError);
  });
});

describe('ISO/IEC 19794-5 facial record', () => {
  it('writes FAC, version 010, the lengths and one image block around the image', () => {
    const image = jpegImage(413, 531);
    const record = encodeFaceRecord([{ image, gender: 'female', sourceType: 'static-photo-digital-still' }]);
    assert.deepEqual(record.subarray(0, 8), asciiBytes('FAC\x00010\x00'));
    assert.equal(readUint(record, 8, 4), record.length);
    assert.equal(readUint(record, 12, 2), 1);
    assert.equal(readUint(record, 14, 4), 20 + 12 + image.length);
    assert.equal(record.length, 14 + 20 + 12 + image.length);
    // Image information block: full frontal, JPEG, 413 × 531, colour space unspecified, digital still.
    assert.equal(toHex(record.subarray(34, 46)), '0100019d02130002' + '00000000');
    assert.deepEqual(record.subarray(46), image);
  });

  it('reads back what it writes', () => {
    const image = jp2Image(240, 320);
    const [face, ...rest] = decodeFaceRecord(
      encodeFaceRecord([{ image, gender: 'male', colourSpace: 'rgb24' }]),
    );
    assert.deepEqual(rest, []);
    assert.deepEqual(
      { ...face!, image: undefined },
      {
        image: undefined,
        encoding: 'jpeg2000',
        width: 240,
        height: 320,
        gender: 'male',
        faceImageType: 'full-frontal',
        colourSpace: 'rgb24',
        sourceType: 'unspecified',
        featurePoints: 0,
      },
    );
    assert.deepEqual(face!.image, image);
  });

  it('refuses a record whose header does not match its content', () => {
    const record = encodeFaceRecord([{ image: jpegImage(8, 8) }]);
    const tamper = (offset: number, byte: number): Uint8Array => {
      const copy = record.slice();
      copy[offset] = byte;
      return copy;
    };
    assert.throws(() => decodeFaceRecord(tamper(0, 0x47)), /not FAC/);
    assert.throws(() => decodeFaceRecord(tamper(6, 0x31)), /not 010/);
    assert.throws(() => decodeFaceRecord(tamper(11, record[11]! + 1)), /header says/);
    assert.throws(() => decodeFaceRecord(tamper(13, 2)), /image 2 is missing/);
    assert.throws(() => decodeFaceRecord(tamper(17, record[17]! + 1)), /does not fit/);
    assert.throws(() => decodeFaceRecord(tamper(35, 9)), /image data type code 9/);
    assert.throws(() => encodeFaceRecord([]), LdsError);
  });
});

describe('DG2', () => {
  it('nests 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E record } } }', () => {
    const image = jpegImage(413, 531);
    const dg2 = decodeTlv(buildDg2([{ image }]));
    assert.equal(dg2.tag, 0x75);
    const group = dg2.children[0]!;
    assert.equal(group.tag, 0x7f61);
    assert.deepEqual(
      group.children.map((c) => c.tag),
      [0x02, 0x7f60],
    );
    assert.equal(toHex(group.children[0]!.value), '01');
    const [header, data] = group.children[1]!.children;
    assert.equal(toHex(header!.encoded).toUpperCase(), 'A10F800201018101028702010188020008');
    assert.equal(data!.tag, 0x5f2e);
    assert.deepEqual(data!.value.subarray(4, 8), asciiBytes('010\0'));
  });

  it('reads back every face', () => {
    const faces = parseDg2(buildDg2([{ image: jpegImage(413, 531) }, { image: j2kCodestream(100, 120) }]));
    assert.deepEqual(
      faces.map((f) => [f.formatOwner, f.formatType, f.images.map((i) => [i.encoding, i.width, i.height])]),
      [
        [0x0101, 0x0008, [['jpeg', 413, 531]]],
        [0x0101, 0x0008, [['jpeg2000', 100, 120]]],
      ],
    );
  });

  it('refuses a count that disagrees with the templates, and formats other than 19794-5', () => {
    const template = decodeTlv(buildDg2([{ image: jpegImage(8, 8) }])).children[0]!.children[1]!.encoded;
    const miscounted = constructed(0x75, constructed(0x7f61, primitive(0x02, Uint8Array.of(2)), template));
    assert.throws(() => parseDg2(miscounted), /announces 2 biometric templates and holds 1/);
    const fingerprint = constructed(
      0x75,
      constructed(
        0x7f61,
        primitive(0x02, Uint8Array.of(1)),
        constructed(
          0x7f60,
          constructed(0xa1, primitive(0x87, Uint8Array.of(1, 1)), primitive(0x88, Uint8Array.of(0, 7))),
          primitive(0x5f2e, concatBytes(asciiBytes('FIR\0'))),
        ),
      ),
    );
    assert.throws(() => parseDg2(fingerprint), /not ISO\/IEC 19794-5/);
    assert.throws(() => buildDg2([]), LdsError);
  });
});
