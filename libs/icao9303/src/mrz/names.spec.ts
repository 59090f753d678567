import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MrzFieldError } from './errors.js';
import { formatName, parseName } from './names.js';

describe('MRZ name field', () => {
  it('writes PRIMARY<<SECONDARY and fills the field with <', () => {
    const name = formatName({ primaryIdentifier: 'ERIKSSON', secondaryIdentifier: 'ANNA<MARIA' }, 30);
    assert.deepEqual(name, { text: 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<', truncated: false });
    assert.deepEqual(parseName(name.text), {
      primaryIdentifier: 'ERIKSSON',
      secondaryIdentifier: 'ANNA<MARIA',
    });
  });

  it('writes a single name as the primary identifier alone', () => {
    const name = formatName({ primaryIdentifier: 'MAI', secondaryIdentifier: '' }, 30);
    assert.equal(name.text, `MAI${'<'.repeat(27)}`);
    assert.deepEqual(parseName(name.text), { primaryIdentifier: 'MAI', secondaryIdentifier: '' });
  });

  it('keeps a name that exactly fills the field untruncated', () => {
    const name = formatName(
      { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'THI<MINH<KHAI<ABCDEFGH' },
      30,
    );
    assert.deepEqual(name, { text: 'NGUYEN<<THI<MINH<KHAI<ABCDEFGH', truncated: false });
  });

  it('cuts the secondary identifier first when the name is too long', () => {
    const name = formatName(
      { primaryIdentifier: 'TON<NU', secondaryIdentifier: 'HOANG<PHUONG<THUY<TRANG<NHUNG' },
      30,
    );
    assert.deepEqual(name, { text: 'TON<NU<<HOANG<PHUONG<THUY<TRAN', truncated: true });
  });

  it('cuts an over-long primary identifier but keeps the initial of the secondary', () => {
    const name = formatName(
      { primaryIdentifier: 'NILAVADHANANANDA<CHAYAPA<DEJTHAMRONG', secondaryIdentifier: 'KRASUANG' },
      30,
    );
    assert.deepEqual(name, { text: 'NILAVADHANANANDA<CHAYAPA<DE<<K', truncated: true });
  });

  it('does not let a primary cut after a separator run into the << that follows', () => {
    const name = formatName({ primaryIdentifier: 'NGUYEN<THI<HOANG', secondaryIdentifier: 'AN' }, 10);
    assert.deepEqual(name, { text: 'NGUYEN<<A<', truncated: true });
    assert.deepEqual(parseName(name.text), { primaryIdentifier: 'NGUYEN', secondaryIdentifier: 'A' });
  });

  it('refuses names that are not transliterated to A–Z and <', () => {
    for (const bad of ['NGUYỄN', 'Nguyen', 'NGUYEN2', 'NGUYEN VAN', '<NGUYEN', 'NGUYEN<', 'TRAN<<LE', '']) {
      assert.throws(
        () => formatName({ primaryIdentifier: bad, secondaryIdentifier: 'AN' }, 30),
        (error: unknown) => error instanceof MrzFieldError && (bad === '' || !error.message.includes(bad)),
        bad,
      );
    }
    assert.throws(
      () => formatName({ primaryIdentifier: 'LE', secondaryIdentifier: 'VĂN' }, 30),
      MrzFieldError,
    );
  });
});
