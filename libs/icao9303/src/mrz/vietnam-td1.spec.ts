import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MrzFieldError } from './errors.js';
import {
  encodeVietnamTd1,
  readVietnamTd1,
  VIETNAM_TD1_LAYOUT_2021,
  type VietnamCardMrzData,
} from './vietnam-td1.js';

const citizen: VietnamCardMrzData = {
  personalIdNumber: '079203001234',
  name: { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'VAN<AN' },
  dateOfBirth: { year: 2003, month: 5, day: 14 },
  sex: 'M',
  dateOfExpiry: { year: 2028, month: 5, day: 14 },
};

/** Born 1955, only the year known; no expiry after 60. */
const elder: VietnamCardMrzData = {
  personalIdNumber: '001155009876',
  name: { primaryIdentifier: 'TRAN', secondaryIdentifier: 'THI<MAI' },
  dateOfBirth: { year: 1955 },
  sex: 'F',
  dateOfExpiry: 'none',
};

describe('Vietnamese TD1 layout (unverified, from sample cards)', () => {
  it('writes IDVNM, the last 9 digits, their check, the 12 digits, << and their check', () => {
    const { lines } = encodeVietnamTd1(citizen);
    assert.deepEqual(lines, [
      'IDVNM2030012345079203001234<<5',
      '0305141M2805140VNM<<<<<<<<<<<8',
      'NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<',
    ]);
    const reading = readVietnamTd1(lines);
    assert.equal(reading.valid, true);
    assert.equal(reading.personalIdNumber, '079203001234');
    assert.equal(reading.expires, true);
  });

  it('writes an unknown birth month and day as fillers and "no expiry" as six fillers by default', () => {
    const { lines } = encodeVietnamTd1(elder);
    assert.deepEqual(lines.slice(0, 2), ['IDVNM1550098769001155009876<<0', '55<<<<0F<<<<<<0VNM<<<<<<<<<<<8']);
    const reading = readVietnamTd1(lines);
    assert.equal(reading.valid, true);
    assert.equal(reading.expires, false);
  });

  it('lets the "no expiry" rule be replaced by a sentinel date', () => {
    const layout = { ...VIETNAM_TD1_LAYOUT_2021, noExpiry: { kind: 'fixed-date', date: '991231' } as const };
    const { lines } = encodeVietnamTd1(elder, layout);
    assert.equal(lines[1], '55<<<<0F9912315VNM<<<<<<<<<<<4');
    assert.equal(readVietnamTd1(lines, layout).expires, false);
    assert.equal(readVietnamTd1(lines).expires, true, 'under the default rule the sentinel is a date');
  });

  it('reports a line 1 whose 9 digits do not end the 12-digit number', () => {
    const { lines } = encodeVietnamTd1(citizen);
    // Two digits of the 12-digit number swapped: 079203001234 → 079203001243.
    const tampered = ['IDVNM2030012345079203001243<<5', lines[1], lines[2]];
    const reading = readVietnamTd1(tampered);
    const failed = reading.checks.filter((c) => !c.valid).map((c) => c.check);
    assert.ok(failed.includes('documentNumberIsPersonalIdSuffix'));
    assert.ok(failed.includes('personalIdNumberCheckDigit'));
    assert.equal(reading.valid, false);
  });

  it('reports a corrupted last check digit of line 1', () => {
    const { lines } = encodeVietnamTd1(citizen);
    const reading = readVietnamTd1([`${lines[0].slice(0, 29)}6`, lines[1], lines[2]]);
    assert.deepEqual(
      reading.checks.filter((c) => !c.valid).map((c) => c.check),
      ['composite', 'personalIdNumberCheckDigit'],
    );
  });

  it('reports a line 1 without the 12-digit number', () => {
    const reading = readVietnamTd1([
      'I<UTOD231458907<<<<<<<<<<<<<<<',
      '7408122F1204159UTO<<<<<<<<<<<6',
      'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
    ]);
    assert.equal(reading.personalIdNumber, undefined);
    assert.deepEqual(
      reading.checks.filter((c) => !c.valid).map((c) => c.check),
      ['personalIdNumber'],
    );
  });

  it('refuses a personal identification number that is not 12 digits, without repeating it', () => {
    for (const personalIdNumber of ['07920300123', '0792030012345', '07920300123A']) {
      assert.throws(
        () => encodeVietnamTd1({ ...citizen, personalIdNumber }),
        (error: unknown) => error instanceof MrzFieldError && !error.message.includes(personalIdNumber),
      );
    }
  });
});
