import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidNameError } from '../errors.js';
import { normalizeName } from './normalize.js';

describe('normalizeName', () => {
  it('collapses whitespace and title-cases words typed in one case', () => {
    assert.equal(normalizeName('  nguyễn   thị ánh\tđào '), 'Nguyễn Thị Ánh Đào');
    assert.equal(normalizeName('NGUYỄN VĂN A'), 'Nguyễn Văn A');
    assert.equal(normalizeName('lê lợi'), 'Lê Lợi');
  });

  it('stores NFC whatever the keyboard sent', () => {
    const decomposed = 'Nguyễn Thị Ánh Đào'.normalize('NFD');
    assert.notEqual(decomposed, 'Nguyễn Thị Ánh Đào');
    assert.equal(normalizeName(decomposed), 'Nguyễn Thị Ánh Đào'.normalize('NFC'));
    assert.equal(normalizeName(decomposed).length, 'Nguyễn Thị Ánh Đào'.normalize('NFC').length);
  });

  it('keeps capitals typed on purpose and unifies apostrophes', () => {
    assert.equal(normalizeName('H’Hen Niê'), "H'Hen Niê");
    assert.equal(normalizeName("h'hen niê"), "H'Hen Niê");
    assert.equal(normalizeName('KSOR H’BIA'), "Ksor H'Bia");
    assert.equal(normalizeName('trần-lê văn'), 'Trần-Lê Văn');
  });

  it('refuses an empty name or one with digits or symbols, naming the field', () => {
    const refused = (reason: string) => (e: unknown) =>
      e instanceof InvalidNameError &&
      e.violations[0]?.reason === reason &&
      e.violations[0].field === 'fatherName';
    assert.throws(() => normalizeName(' \t ', 'fatherName'), refused('EMPTY_NAME'));
    assert.throws(() => normalizeName('Nguyễn Văn 2', 'fatherName'), refused('INVALID_CHARACTERS'));
    assert.throws(() => normalizeName('Nguyễn, Văn', 'fatherName'), refused('INVALID_CHARACTERS'));
  });
});
