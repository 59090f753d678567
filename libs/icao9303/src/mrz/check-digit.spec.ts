import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDigit } from './check-digit.js';
import { MrzFormatError } from './errors.js';

describe('MRZ check digit', () => {
  it("gives ICAO's worked example: 520727 → 3", () => {
    assert.equal(checkDigit('520727'), 3);
  });

  it('values letters A–Z as 10–35 and the filler as 0', () => {
    // D=13, 2, 3, 1, 4, 5, 8, 9, 0 with weights 7,3,1 → 7 (the TD1 specimen's document number).
    assert.equal(checkDigit('D23145890'), 7);
    assert.equal(checkDigit('Z'), (35 * 7) % 10);
    assert.equal(checkDigit('<<<<<<'), 0);
    assert.equal(checkDigit('12<'), checkDigit('12'));
  });

  it('refuses characters outside the MRZ alphabet', () => {
    assert.throws(() => checkDigit('12a'), MrzFormatError);
    assert.throws(() => checkDigit('1 2'), MrzFormatError);
  });
});
