import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeVietnamTd1, readVietnamTd1 } from '@cancuoc/icao9303';
import { CalendarDate } from '@cancuoc/identity';
import { DAO } from '../../test-support/register-data.js';
import { cardContents, NO_EXPIRY_TEXT, UnusableRegisterDataError } from './card-contents.js';

const ISSUED = CalendarDate.parse('2026-11-26');

function violations(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof UnusableRegisterDataError);
    return error.violations.map((v) => `${v.field}:${v.reason}`);
  }
  return assert.fail('expected the register data to be refused');
}

describe('card contents from the register', () => {
  it('numbers the document by the last nine digits of the personal id number', () => {
    const contents = cardContents(DAO, ISSUED);
    assert.equal(contents.documentNumber, '190123456');
    const mrz = readVietnamTd1(encodeVietnamTd1(contents.mrz).lines);
    assert.equal(mrz.valid, true);
    assert.equal(mrz.personalIdNumber, '001190123456');
    assert.equal(mrz.fields.documentNumber, '190123456');
  });

  it('writes the name without diacritics in the MRZ and with them in DG13', () => {
    const contents = cardContents(DAO, ISSUED);
    assert.deepEqual(contents.mrz.name, { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'THI<ANH<DAO' });
    assert.equal(encodeVietnamTd1(contents.mrz).lines[2], 'NGUYEN<<THI<ANH<DAO<<<<<<<<<<<');
    assert.equal(contents.dg13.fullName, 'Nguyễn Thị Ánh Đào');
    assert.equal(contents.dg13.sex, 'Nữ');
    assert.equal(contents.dg13.nationality, 'Việt Nam');
    assert.equal(contents.dg13.dateOfBirth, '17/05/1990');
    assert.equal(contents.dg13.issueDate, '26/11/2026');
  });

  it('prints the residence with the names of the units in force on the issue date', () => {
    const contents = cardContents(DAO, ISSUED);
    assert.equal(contents.dg13.permanentResidence, '3 Phan Đình Phùng, Phường Ba Đình, Hà Nội');
  });

  describe('validity by the milestone ages (2023 law: 14, 25, 40, 60)', () => {
    const cases: [string, string, string | null][] = [
      ['36 at issue: valid until the 40th birthday', '1990-05-17', '2030-05-17'],
      ['38 and a half: within two years of 40, so valid until 60', '1988-05-17', '2048-05-17'],
      ['10: valid until 14', '2016-03-01', '2030-03-01'],
      ['23: within two years of 25, so valid until 40', '2003-07-01', '2043-07-01'],
      ['58 and a half: within two years of 60, so it never expires', '1968-05-17', null],
      ['70: never expires', '1956-01-01', null],
    ];
    for (const [what, birthDate, expiry] of cases) {
      it(what, () => {
        const contents = cardContents(
          {
            ...DAO,
            birthDate,
            personalId: '001' + (birthDate < '2000' ? '1' : '3') + birthDate.slice(2, 4) + '123456',
          },
          ISSUED,
        );
        assert.equal(contents.expiryDate?.toString() ?? null, expiry);
        assert.equal(contents.validityRuleId, 'identification-law-2023');
        if (expiry === null) {
          assert.equal(contents.mrz.dateOfExpiry, 'none');
          assert.equal(contents.dg13.expiryDate, NO_EXPIRY_TEXT);
          assert.equal(readVietnamTd1(encodeVietnamTd1(contents.mrz).lines).expires, false);
        }
      });
    }
  });

  it('applies the 2014 law (25, 40, 60) to a card issued before July 2024', () => {
    const contents = cardContents(
      { ...DAO, birthDate: '2008-03-01', personalId: '001308123456' },
      CalendarDate.parse('2023-03-01'),
    );
    assert.equal(contents.validityRuleId, 'citizen-identification-law-2014');
    assert.equal(contents.expiryDate?.toString(), '2033-03-01');
  });

  it('prints a commune the shipped reference data lacks by its code, the province by its name', () => {
    const contents = cardContents(
      { ...DAO, permanentResidence: { provinceCode: '079', communeCode: '99999', detail: '12 Lê Lợi' } },
      ISSUED,
    );
    assert.equal(contents.dg13.permanentResidence, '12 Lê Lợi, 99999, Hồ Chí Minh');
  });

  it('refuses register data that cannot be written, naming every field and no value', () => {
    const found = violations(() =>
      cardContents(
        { ...DAO, personalId: '12345', familyName: 'Nguyễn😀', birthDate: '1990-02-30', sex: undefined },
        ISSUED,
      ),
    );
    assert.deepEqual(
      found.sort(),
      [
        'birthDate:INVALID_DATE',
        'familyName:NOT_TRANSLITERABLE',
        'personalId:INVALID_FORMAT',
        'sex:REQUIRED',
      ].sort(),
    );
  });
});
