import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { givenNames, mrzName, splitFullName } from './split.js';

describe('splitting a full name', () => {
  it('reads a Kinh name family name first, given name last, middle names between', () => {
    assert.deepEqual(splitFullName('Nguyễn Thị Ánh Đào'), {
      familyName: 'Nguyễn',
      middleNames: ['Thị', 'Ánh'],
      givenName: 'Đào',
    });
    assert.deepEqual(splitFullName('lê lợi'), { familyName: 'Lê', middleNames: [], givenName: 'Lợi' });
    assert.deepEqual(splitFullName('Tôn Nữ Thị Ninh'), {
      familyName: 'Tôn',
      middleNames: ['Nữ', 'Thị'],
      givenName: 'Ninh',
    });
  });

  it('reads a family-last name when told the order', () => {
    assert.deepEqual(splitFullName('H’Hen Niê', 'family-last'), {
      familyName: 'Niê',
      middleNames: [],
      givenName: "H'Hen",
    });
  });

  it('keeps a single name as the family name, as the MRZ does', () => {
    assert.deepEqual(splitFullName('Thuận'), { familyName: 'Thuận', middleNames: [], givenName: '' });
  });

  it('writes the MRZ name field: family name, <<, the other names joined by <', () => {
    assert.equal(mrzName(splitFullName('Nguyễn Thị Ánh Đào')), 'NGUYEN<<THI<ANH<DAO');
    assert.equal(mrzName(splitFullName('Đặng Văn Ngữ')), 'DANG<<VAN<NGU');
    assert.equal(mrzName(splitFullName('H’Hen Niê', 'family-last')), 'NIE<<HHEN');
    assert.equal(mrzName(splitFullName('Thuận')), 'THUAN');
    assert.equal(givenNames(splitFullName('Nguyễn Thị Ánh Đào')), 'Thị Ánh Đào');
  });
});
