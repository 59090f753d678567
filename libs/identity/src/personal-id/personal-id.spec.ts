import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVINCES_BEFORE_2025 } from '../admin-units/provinces.js';
import { CalendarDate } from '../dates/calendar-date.js';
import { InvalidPersonalIdError } from '../errors.js';
import type { Sex } from '../sex.js';
import { seededRandom } from '../test-support/seeded-random.js';
import { CENTURY_SEX_CODES, decodeCenturySex, encodeCenturySex } from './century-sex.js';
import {
  checkPersonalId,
  composePersonalId,
  drawRandomPart,
  generatePersonalId,
  parsePersonalId,
  type PersonalIdCheck,
  type RegisteredFacts,
} from './personal-id.js';

const d = (text: string) => CalendarDate.parse(text);
const reasons = (check: PersonalIdCheck) => (check.ok ? [] : check.violations.map((v) => v.reason));
/** An `assert.throws` check: an `InvalidPersonalIdError` with exactly these [field, reason] pairs. */
const refusedWith =
  (...expected: [field: string, reason: string][]) =>
  (e: unknown): true => {
    assert.ok(e instanceof InvalidPersonalIdError);
    assert.deepEqual(
      e.violations.map((v) => [v.field, v.reason]),
      expected,
    );
    return true;
  };

describe('personal identification number', () => {
  it('reads PPP G YY NNNNNN', () => {
    const id = parsePersonalId('001090123456');
    assert.deepEqual(
      {
        birthPlaceCode: id.birthPlaceCode,
        centurySexDigit: id.centurySexDigit,
        sex: id.sex,
        birthYear: id.birthYear,
        randomPart: id.randomPart,
      },
      { birthPlaceCode: '001', centurySexDigit: 0, sex: 'male', birthYear: 1990, randomPart: '123456' },
    );
    assert.equal(`${id.toString()}`, '001090123456');
    assert.equal(JSON.stringify({ id }), '{"id":"001090123456"}');
    assert.equal(parsePersonalId('079305000001').birthYear, 2005);
    assert.equal(parsePersonalId('079305000001').sex, 'female');
  });

  it('refuses anything but 12 ASCII digits', () => {
    for (const text of [
      '00109012345',
      '0010901234567',
      '00109012345a',
      ' 001090123456',
      '001 090 123 456',
      '',
    ]) {
      assert.deepEqual(reasons(checkPersonalId(text)), ['INVALID_FORMAT'], JSON.stringify(text));
    }
    assert.deepEqual(
      reasons(checkPersonalId('００１０９０１２３４５６')),
      ['INVALID_FORMAT'],
      'full-width digits',
    );
  });

  it('refuses a prefix that is no province code, but keeps numbers of provinces merged away in 2025', () => {
    assert.deepEqual(reasons(checkPersonalId('003090123456')), ['UNKNOWN_BIRTH_PLACE_CODE']);
    assert.deepEqual(reasons(checkPersonalId('097090123456')), ['UNKNOWN_BIRTH_PLACE_CODE']);
    assert.equal(parsePersonalId('002090123456').birthPlaceCode, '002', 'Hà Giang, now part of Tuyên Quang');
    for (const { code } of PROVINCES_BEFORE_2025) assert.ok(checkPersonalId(`${code}190000000`).ok, code);
  });

  it('accepts country codes for births abroad when given a predicate that knows them', () => {
    const abroad = (code: string) => code === '900';
    assert.equal(checkPersonalId('900190000000').ok, false);
    assert.equal(checkPersonalId('900190000000', { isKnownBirthPlaceCode: abroad }).ok, true);
  });

  it('reports every violation at once, under the field name the caller uses', () => {
    const onlyTwentiethCentury = CENTURY_SEX_CODES.filter((c) => c.firstYear === 1900);
    const check = checkPersonalId('003290123456', {
      centurySexCodes: onlyTwentiethCentury,
      field: 'citizen.id',
    });
    assert.deepEqual(check, {
      ok: false,
      violations: [
        {
          field: 'citizen.id',
          reason: 'UNKNOWN_BIRTH_PLACE_CODE',
          description: 'the first three digits are not a known province or country code',
        },
        {
          field: 'citizen.id',
          reason: 'UNKNOWN_CENTURY_SEX_DIGIT',
          description: 'the fourth digit is not a known century-and-sex code',
        },
      ],
    });
  });

  it('refuses, given a date, a number for someone born in a year that has not begun', () => {
    assert.deepEqual(reasons(checkPersonalId('001325000001', { asOf: d('2024-12-31') })), [
      'BIRTH_YEAR_IN_FUTURE',
    ]);
    assert.ok(checkPersonalId('001325000001', { asOf: d('2025-01-01') }).ok);
    assert.deepEqual(reasons(checkPersonalId('001400000001', { asOf: d('2025-07-01') })), [
      'BIRTH_YEAR_IN_FUTURE',
    ]);
    assert.ok(checkPersonalId('001400000001').ok, 'without a date the unverified 2100s code still reads');
  });

  it('throws a typed error that does not repeat the number', () => {
    assert.throws(
      () => parsePersonalId('003090123456'),
      (e: unknown) => e instanceof InvalidPersonalIdError && !e.message.includes('003090123456'),
    );
  });

  it('composes the number from province, sex, birth date and random part', () => {
    assert.equal(composePersonalId('079', 'female', d('2003-04-05'), '000042').value, '079303000042');
    assert.equal(composePersonalId('001', 'male', d('1999-12-31'), '999999').value, '001099999999');
    assert.equal(composePersonalId('096', 'male', d('2000-01-01'), '500000').value, '096200500000');
  });

  it('refuses to compose from an unknown province, an unencodable year or a bad random part, all at once', () => {
    assert.throws(
      () => composePersonalId('003', 'male', d('1990-01-01'), '123456'),
      refusedWith(['birthRegistrationProvinceCode', 'UNKNOWN_BIRTH_PLACE_CODE']),
    );
    assert.throws(
      () => composePersonalId('003', 'female', d('1899-12-31'), '12345'),
      refusedWith(
        ['birthRegistrationProvinceCode', 'UNKNOWN_BIRTH_PLACE_CODE'],
        ['birthDate', 'BIRTH_YEAR_NOT_ENCODABLE'],
        ['randomPart', 'INVALID_FORMAT'],
      ),
    );
    assert.throws(
      () => composePersonalId('001', 'male', d('2400-01-01'), '123456'),
      refusedWith(['birthDate', 'BIRTH_YEAR_NOT_ENCODABLE']),
    );
  });

  it('draws the random part from an injected source, keeping leading zeros', () => {
    assert.equal(
      drawRandomPart(() => 42),
      '000042',
    );
    assert.equal(
      drawRandomPart(() => 999_999),
      '999999',
    );
    assert.equal(generatePersonalId('092', 'male', d('1975-04-30'), () => 7).value, '092075000007');
    for (const bad of [-1, 1_000_000, 0.5, Number.NaN])
      assert.throws(() => drawRandomPart(() => bad), RangeError);
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draw = (r: typeof a) => generatePersonalId('001', 'female', d('2001-01-01'), r.int).value;
    assert.equal(draw(a), draw(b), 'the same seed draws the same number');
  });

  it('round-trips compose → parse for many random inputs, and the record always agrees', () => {
    const random = seededRandom(2021);
    const start = d('1900-01-01').toEpochDay();
    const span = d('2099-12-31').toEpochDay() - start + 1;
    for (let i = 0; i < 5000; i++) {
      const province = PROVINCES_BEFORE_2025[random.int(PROVINCES_BEFORE_2025.length)]!.code;
      const sex: Sex = random.int(2) === 0 ? 'male' : 'female';
      const birthDate = CalendarDate.fromEpochDay(start + random.int(span));
      const composed = generatePersonalId(province, sex, birthDate, random.int);
      const parsed = parsePersonalId(composed.value, { asOf: d('2099-12-31') });
      assert.equal(parsed.value, composed.value);
      assert.equal(parsed.birthPlaceCode, province);
      assert.equal(parsed.sex, sex);
      assert.equal(parsed.birthYear, birthDate.year);
      assert.equal(parsed.randomPart, composed.randomPart);
      assert.deepEqual(
        parsed.validateAgainst({ birthDate, sex, birthRegistrationProvinceCode: province }),
        [],
      );
    }
  });

  describe('validated against the record, for imports of existing numbers', () => {
    const id = parsePersonalId('036190004711'); // Nam Định, female, 1990
    const record = {
      birthDate: d('1990-11-02'),
      sex: 'female' as const,
      birthRegistrationProvinceCode: '036',
    };

    it('agrees with a matching record', () => {
      assert.deepEqual(id.validateAgainst(record), []);
    });

    it('names the field the number contradicts', () => {
      const fieldsAndReasons = (facts: RegisteredFacts) =>
        id.validateAgainst(facts).map((v) => [v.field, v.reason]);
      assert.deepEqual(fieldsAndReasons({ ...record, sex: 'male' }), [['sex', 'SEX_MISMATCH']]);
      assert.deepEqual(fieldsAndReasons({ ...record, birthDate: d('1991-11-02') }), [
        ['birthDate', 'BIRTH_YEAR_MISMATCH'],
      ]);
      assert.deepEqual(fieldsAndReasons({ ...record, birthDate: d('2090-11-02') }), [
        ['birthDate', 'BIRTH_CENTURY_MISMATCH'],
      ]);
      assert.deepEqual(fieldsAndReasons({ ...record, birthRegistrationProvinceCode: '037' }), [
        ['birthRegistrationProvinceCode', 'BIRTH_PLACE_MISMATCH'],
      ]);
      assert.deepEqual(
        fieldsAndReasons({ birthDate: d('2001-01-01'), sex: 'male', birthRegistrationProvinceCode: '001' }),
        [
          ['birthRegistrationProvinceCode', 'BIRTH_PLACE_MISMATCH'],
          ['sex', 'SEX_MISMATCH'],
          ['birthDate', 'BIRTH_CENTURY_MISMATCH'],
        ],
      );
    });

    it('compares the prefix with the code of the day of registration, not its 2025 successor', () => {
      const haGiang = parsePersonalId('002085000123');
      const facts = { birthDate: d('1985-01-01'), sex: 'male' as const };
      assert.deepEqual(haGiang.validateAgainst({ ...facts, birthRegistrationProvinceCode: '002' }), []);
      assert.equal(haGiang.validateAgainst({ ...facts, birthRegistrationProvinceCode: '008' }).length, 1);
    });
  });

  describe('century-and-sex table', () => {
    it('gives every digit one century and sex, male even and female odd, a pair per century', () => {
      assert.deepEqual(
        CENTURY_SEX_CODES.map((c) => c.digit),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      for (const c of CENTURY_SEX_CODES) {
        assert.equal(c.sex, c.digit % 2 === 0 ? 'male' : 'female');
        assert.equal(c.firstYear, 1900 + Math.floor(c.digit / 2) * 100);
        assert.equal(decodeCenturySex(c.digit), c);
        assert.equal(encodeCenturySex(c.firstYear + 99, c.sex), c);
      }
      assert.deepEqual(
        CENTURY_SEX_CODES.filter((c) => !c.verified).map((c) => c.digit),
        [4, 5, 6, 7, 8, 9],
      );
      assert.equal(encodeCenturySex(1899, 'male'), undefined);
      assert.equal(encodeCenturySex(2400, 'female'), undefined);
    });
  });
});
