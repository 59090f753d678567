import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMinutiaeRecord, seededRandom, syntheticPerson, tenPrint } from '@cancuoc/synthetic';
import { assessFingerprints } from './fingerprint-checks.js';
import { MalformedMinutiaeRecordError, parseMinutiaeRecord, type MinutiaeRecord } from './iso19794-2.js';

function refusal(bytes: Uint8Array): string {
  try {
    parseMinutiaeRecord(bytes);
  } catch (error) {
    assert.ok(error instanceof MalformedMinutiaeRecordError, String(error));
    return error.violations[0]!.description;
  }
  assert.fail('the record was accepted');
}

const person = syntheticPerson(7);
const record = tenPrint(person);

describe('ISO/IEC 19794-2:2005 minutiae records', () => {
  it('reads back what was written: header, views, minutiae, extended data', () => {
    const withExtended: MinutiaeRecord = {
      ...record,
      views: record.views.map((v, i) =>
        i === 0 ? { ...v, extendedData: [{ typeId: 0x0002, data: Uint8Array.of(1, 2, 3, 4, 5) }] } : v,
      ),
    };
    const bytes = encodeMinutiaeRecord(withExtended);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x46, 0x4d, 0x52, 0, 0x20, 0x32, 0x30, 0]);
    assert.deepEqual(parseMinutiaeRecord(bytes), withExtended);
  });

  it('says where a record breaks, for the device vendor', () => {
    const bytes = encodeMinutiaeRecord(record);
    assert.match(refusal(bytes.subarray(0, 10)), /24-byte header/);
    assert.match(refusal(Uint8Array.from([0x50, ...bytes.subarray(1)])), /not an ISO\/IEC 19794-2 record/);
    const version = bytes.slice();
    version[5] = 0x31;
    assert.match(refusal(version), /version/);
    assert.match(
      refusal(bytes.subarray(0, bytes.length - 3)),
      /record length of \d+ bytes; the file has \d+/,
    );
    const lying = bytes.slice();
    new DataView(lying.buffer).setUint32(8, bytes.length - 30);
    assert.match(refusal(lying.subarray(0, bytes.length - 30)), /ends at byte|follow the last/);
    const outside = encodeMinutiaeRecord({
      ...record,
      views: [
        { ...record.views[0]!, minutiae: [{ type: 'bifurcation', x: 450, y: 10, angle: 0, quality: 50 }] },
      ],
    });
    assert.match(refusal(outside), /outside the 400 × 500 image/);
    const reservedType = encodeMinutiaeRecord(record);
    reservedType[24 + 4] = reservedType[24 + 4]! | 0xc0;
    assert.match(refusal(reservedType), /minutia type 3 is reserved/);
    const position = encodeMinutiaeRecord(record);
    position[24] = 11;
    assert.match(refusal(position), /finger position 11/);
  });

  it('never throws anything but a refusal on random corruption', () => {
    const random = seededRandom(99);
    const bytes = encodeMinutiaeRecord(record);
    for (let round = 0; round < 500; round++) {
      const broken = bytes.slice(0, Math.floor(random() * bytes.length) + 1);
      for (let k = 0; k < 3; k++) broken[Math.floor(random() * broken.length)] = Math.floor(random() * 256);
      try {
        parseMinutiaeRecord(broken);
      } catch (error) {
        assert.ok(error instanceof MalformedMinutiaeRecordError, String(error));
      }
    }
  });
});

describe('fingerprint capture checks', () => {
  it('accepts ten good fingers', () => {
    const result = assessFingerprints(record, []);
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.fingers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('names the finger to capture again and why', () => {
    const poor: MinutiaeRecord = {
      ...record,
      views: record.views.map((v) =>
        v.position === 2
          ? { ...v, minutiae: v.minutiae.slice(0, 5) }
          : v.position === 7
            ? { ...v, quality: 8 }
            : v,
      ),
    };
    const { violations } = assessFingerprints(poor, []);
    assert.deepEqual(
      violations.map((v) => v.reason),
      ['FINGER_TOO_FEW_MINUTIAE', 'FINGER_LOW_QUALITY'],
    );
    assert.match(violations[0]!.description, /^RIGHT_INDEX: 5 minutiae/);
    assert.match(violations[1]!.description, /^LEFT_INDEX: quality 8/);
  });

  it('wants every missing finger excused, and a known scanner resolution', () => {
    const nine: MinutiaeRecord = {
      ...record,
      resolutionX: 50,
      views: record.views.filter((v) => v.position !== 10),
    };
    assert.deepEqual(
      assessFingerprints(nine, []).violations.map((v) => v.reason),
      ['RESOLUTION_UNSUPPORTED', 'FINGERS_UNACCOUNTED'],
    );
    assert.deepEqual(
      assessFingerprints({ ...nine, resolutionX: 197 }, [{ finger: 10, reason: 'missing' }]).violations,
      [],
    );
  });
});
