import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMINISTRATIVE_UNITS, PROVINCES_BEFORE_2025 } from '@cancuoc/identity';
import { currentProvinceOf } from './current-province.js';

describe('current province of a recorded code', () => {
  it('resolves a province merged in 2025 to its successor, and the successor to itself', () => {
    assert.equal(currentProvinceOf('027'), '024', 'old Bắc Ninh lies in the new Bắc Ninh (024)');
    assert.equal(currentProvinceOf('024'), '024', 'old Bắc Giang, whose code the new Bắc Ninh took');
    assert.equal(currentProvinceOf('093'), '092', 'Hậu Giang merged into Cần Thơ');
    assert.equal(currentProvinceOf('001'), '001', 'Hà Nội did not change');
    assert.equal(currentProvinceOf('046'), '046', 'Thừa Thiên Huế renamed Huế');
  });

  it('gives every pre-2025 province code exactly one province of today, one of the 34', () => {
    const today = new Set(ADMINISTRATIVE_UNITS.currentUnits('province').map((u) => u.code));
    assert.equal(today.size, 34);
    for (const { code } of PROVINCES_BEFORE_2025) {
      const current = currentProvinceOf(code);
      assert.ok(current && today.has(current), `${code} → ${current}`);
    }
  });

  it('has no answer for a code that never named a province', () => {
    assert.equal(currentProvinceOf('003'), undefined);
    assert.equal(currentProvinceOf('00049'), undefined, 'a commune code');
  });
});
