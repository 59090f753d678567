import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiBytes, concatBytes, fromHex, toHex } from '../bytes.js';
import { parseTd1 } from '../mrz/td1.js';
import { buildDg1, parseDg1 } from './dg1.js';
import { LdsError } from './errors.js';

const SPECIMEN = [
  'I<UTOD231458907<<<<<<<<<<<<<<<',
  '7408122F1204159UTO<<<<<<<<<<<6',
  'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
];

describe('DG1', () => {
  it('wraps the 90 MRZ characters in 61 { 5F1F }', () => {
    const dg1 = buildDg1(SPECIMEN);
    assert.equal(toHex(dg1.subarray(0, 5)).toUpperCase(), '615D5F1F5A');
    assert.deepEqual(dg1.subarray(5), asciiBytes(SPECIMEN.join('')));
    const lines = parseDg1(dg1);
    assert.deepEqual(lines, SPECIMEN);
    assert.equal(parseTd1(lines).valid, true);
  });

  it('refuses an MRZ that is not TD1', () => {
    assert.throws(() => buildDg1(SPECIMEN.slice(0, 2)), LdsError);
    assert.throws(() => buildDg1([...SPECIMEN.slice(0, 2), `${SPECIMEN[2]!}<`]), LdsError);
    const short = concatBytes(fromHex('615C5F1F59'), asciiBytes(SPECIMEN.join('').slice(1)));
    assert.throws(() => parseDg1(short), /89 characters/);
  });
});
