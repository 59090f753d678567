import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { buildDg13, parseDg13 } from './dg13.js';
import { readVietnamDg13, vietnamDg13Entries, type VietnamDg13Fields } from './vietnam-dg13.js';

const holder: VietnamDg13Fields = {
  personalIdNumber: '079203001234',
  fullName: 'Nguyễn Văn An',
  dateOfBirth: '14/05/2003',
  sex: 'Nam',
  nationality: 'Việt Nam',
  ethnicity: 'Kinh',
  religion: 'Không',
  homeTown: 'Phường Bến Thành, TP. Hồ Chí Minh',
  permanentResidence: '12 Lê Lợi, Phường Bến Thành, TP. Hồ Chí Minh',
  identifyingMarks: 'Nốt ruồi cách 2cm trên đầu mày phải',
  issueDate: '20/05/2021',
  expiryDate: '14/05/2028',
  fatherName: 'Nguyễn Văn Bình',
  motherName: 'Trần Thị Cúc',
};

describe('DG13 (Vietnamese layout, unverified)', () => {
  it('writes 6D with one 30 { 02 01 NN, UTF8String } per field', () => {
    const dg13 = buildDg13([{ field: 1, values: ['079203001234'] }]);
    assert.equal(toHex(dg13).toUpperCase(), '6D1330110201010C0C303739323033303031323334');
  });

  it('round-trips every field of the register, diacritics included', () => {
    const entries = vietnamDg13Entries(holder);
    assert.deepEqual(
      entries.map((e) => e.field),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    );
    assert.deepEqual(entries.find((e) => e.field === 13)?.values, ['Nguyễn Văn Bình', 'Trần Thị Cúc']);
    const read = readVietnamDg13(parseDg13(buildDg13(entries)));
    assert.deepEqual(read, holder);
    const withOldNumber = readVietnamDg13(
      parseDg13(buildDg13(vietnamDg13Entries({ ...holder, oldIdNumber: '025123456' }))),
    );
    assert.equal(withOldNumber.oldIdNumber, '025123456');
  });

  it('leaves out fields a layout does not know', () => {
    const read = readVietnamDg13([
      { field: 2, values: ['Trần Thị Mai'] },
      { field: 99, values: ['?'] },
    ]);
    assert.deepEqual(read, { fullName: 'Trần Thị Mai' });
  });

  it('refuses entries that are not a field number followed by text', () => {
    assert.throws(() => parseDg13(fromHex('6D 03 020101')), /expected tag 0x30/);
    assert.throws(() => parseDg13(fromHex('6D 05 3003020101')), /lacks a field number or value/);
    assert.throws(() => parseDg13(fromHex('6D 08 3006020101020105')), /expected a string/);
    assert.throws(() => buildDg13([{ field: 3, values: [] }]), /no value/);
  });
});
