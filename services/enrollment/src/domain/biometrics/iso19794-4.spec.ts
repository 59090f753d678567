import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFingerImageRecord, ridgePattern } from '@cancuoc/synthetic';
import { assessFingerImages, type DecodedFingerImage } from './fingerprint-checks.js';
import {
  MalformedFingerImageRecordError,
  parseFingerImageRecord,
  type FingerImageRecord,
} from './iso19794-4.js';

const raw = (position: number, size = 260, grey = ridgePattern(size, size, position)) => ({
  position,
  quality: 60,
  width: size,
  height: size,
  data: grey,
});
const TEN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

const decodedRaw = (record: FingerImageRecord): DecodedFingerImage[] =>
  record.images.map((i) => ({
    mediaType: 'image/x-grey',
    width: i.width,
    height: i.height,
    luminance: i.data,
  }));

function refusal(bytes: Uint8Array): string {
  try {
    parseFingerImageRecord(bytes);
  } catch (error) {
    assert.ok(error instanceof MalformedFingerImageRecordError, String(error));
    return error.violations[0]!.description;
  }
  assert.fail('the record was accepted');
}

describe('ISO/IEC 19794-4:2005 finger image records', () => {
  it('reads back what was written, with the resolution in pixels per centimetre', () => {
    const bytes = encodeFingerImageRecord(
      TEN.map((p) => raw(p)),
      { compression: 'uncompressed' },
    );
    const record = parseFingerImageRecord(bytes);
    assert.equal(record.compression, 'uncompressed');
    assert.equal(record.resolutionX, 197);
    assert.deepEqual(
      record.images.map((i) => [i.position, i.width, i.height, i.data.length]),
      TEN.map((p) => [p, 260, 260, 260 * 260]),
    );
    assert.deepEqual(assessFingerImages(record, decodedRaw(record), []).violations, []);
  });

  it('says where a record breaks', () => {
    const bytes = encodeFingerImageRecord([raw(1)], { compression: 'uncompressed' });
    assert.match(refusal(bytes.subarray(0, 20)), /32-byte header/);
    assert.match(refusal(Uint8Array.from([0x47, ...bytes.subarray(1)])), /not an ISO\/IEC 19794-4 record/);
    assert.match(refusal(bytes.subarray(0, bytes.length - 1)), /record length/);
    const long = bytes.slice();
    new DataView(long.buffer).setUint32(32, 10 ** 6);
    assert.match(refusal(long), /beyond the record/);
    const algorithm = bytes.slice();
    algorithm[29] = 9;
    assert.match(refusal(algorithm), /compression algorithm 9/);
  });

  it('judges each finger image and names the finger', () => {
    const images = TEN.map((p) =>
      p === 3 ? raw(3, 260, new Uint8Array(260 * 260).fill(200)) : p === 8 ? raw(8, 120) : raw(p),
    );
    const record = parseFingerImageRecord(encodeFingerImageRecord(images, { compression: 'uncompressed' }));
    const decoded = decodedRaw(record);
    decoded[4] = 'unreadable';
    assert.deepEqual(
      assessFingerImages(record, decoded, []).violations.map(
        (v) => `${v.reason} ${v.description.split(':')[0]}`,
      ),
      [
        'FINGER_IMAGE_BLANK RIGHT_MIDDLE',
        'FINGER_IMAGE_UNREADABLE RIGHT_LITTLE',
        'FINGER_IMAGE_TOO_SMALL LEFT_MIDDLE',
      ],
    );
  });

  it('refuses formats it cannot read (WSQ) before anything else', () => {
    const record = parseFingerImageRecord(encodeFingerImageRecord([raw(1)], { compression: 'wsq' }));
    assert.deepEqual(
      assessFingerImages(record, [], []).violations.map((v) => v.reason),
      ['FINGER_IMAGE_FORMAT_UNSUPPORTED'],
    );
  });
});
