import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deciderSpec } from '@cancuoc/eventstore/testing';
import { ADMINISTRATIVE_UNITS } from '@cancuoc/identity';
import type { CitizenCommand } from './commands.js';
import { citizenDecider, validate } from './decider.js';
import {
  CitizenAlreadyRegisteredError,
  CitizenNotFoundError,
  CitizenRuleViolationError,
  InvalidCitizenCommandError,
} from './errors.js';
import type { CitizenEvent, CorrectableField } from './events.js';
import type { RelativeFacts, Relatives } from './family-rules.js';

const { given } = deciderSpec(citizenDecider);

const TODAY = '2026-11-26';
const HANG_DAO = { provinceCode: '001', communeCode: '00049', detail: '12 Hàng Đào' };
const BA_DINH = { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' };
const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };
const SPOUSE = '0192f000-0000-7000-8000-000000000042';
const SELF = '0192f000-0000-7000-8000-000000000001';

/** A record as the family rules see it. */
function person(
  sex: 'male' | 'female',
  birthDate: string,
  more: Partial<RelativeFacts['record']> & { deceased?: boolean } = {},
): RelativeFacts {
  const { deceased = false, ...record } = more;
  return {
    deceased,
    record: {
      birthDate,
      sex,
      fatherCitizenId: null,
      motherCitizenId: null,
      maritalStatus: 'single',
      spouseCitizenId: null,
      dateOfDeath: null,
      ...record,
    },
  };
}

/** What the register holds of the records a command names: `self` and the records by id. */
function kin(records: Record<string, RelativeFacts>, self = SELF): Relatives {
  return { self, records: new Map(Object.entries(records)) };
}

const register = (
  overrides: Partial<Extract<CitizenCommand, { type: 'RegisterCitizen' }>> = {},
): CitizenCommand => ({
  type: 'RegisterCitizen',
  today: TODAY,
  personalId: '001190123456',
  registration: 'initial-collection',
  name: { familyName: 'nguyễn', middleName: 'thị  ánh', givenName: 'đào' },
  birthDate: '1990-05-17',
  sex: 'female',
  nationality: 'VNM',
  ethnicity: 'Kinh',
  religion: 'Không',
  birthPlace: HANG_DAO,
  homeTown: BA_DINH,
  permanentResidence: undefined,
  fatherCitizenId: null,
  motherCitizenId: null,
  ...overrides,
});

const registered = (): CitizenEvent => citizenDecider.decide(register(), citizenDecider.initialState())[0]!;
const died: CitizenEvent = {
  type: 'DeathRecorded',
  data: { dateOfDeath: '2026-01-02', certificateRef: 'KT-1' },
};

function violations(e: Error): string[] {
  return (e as InvalidCitizenCommandError).violations.map((v) => `${v.field}:${v.reason}`);
}

describe('citizen: registration', () => {
  it('registers an existing person with normalised names', () =>
    given()
      .when(register())
      .then([
        {
          type: 'CitizenRegistered',
          data: { familyName: 'Nguyễn', middleName: 'Thị Ánh', givenName: 'Đào' },
        },
      ]));

  it('registers the permanent residence given with the registration', () =>
    given()
      .when(register({ permanentResidence: CAI_KHE }))
      .then([
        { type: 'CitizenRegistered' },
        { type: 'PermanentResidenceRegistered', data: { address: CAI_KHE } },
      ]));

  it('refuses a birth date in the future, and reports every field at fault at once', () =>
    given()
      .when(register({ birthDate: '2027-01-01', sex: undefined, nationality: 'Vietnam' }))
      .thenThrows(InvalidCitizenCommandError, (e) => {
        const found = violations(e);
        assert.ok(found.includes('birthDate:IN_FUTURE'), found.join());
        assert.ok(found.includes('sex:NOT_ALLOWED'), found.join());
        assert.ok(
          found.some((v) => v.startsWith('nationality:')),
          found.join(),
        );
      }));

  it('refuses an id number that contradicts the birth date, sex or birth province', () =>
    given()
      .when(register({ personalId: '001290123456' }))
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.ok(violations(e).some((v) => v.startsWith('personalId'))),
      ));

  it('refuses a commune that was not in force on the date, or is in another province', () => {
    given()
      .when(register({ birthPlace: { provinceCode: '001', communeCode: '31120', detail: '' } }))
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.ok(violations(e).some((v) => v.startsWith('birthPlace.communeCode'))),
      );
    // A commune whose code first named a unit in the 2025 reorganisation (Cái Khế in the commune
    // sample), looked up so that a fuller commune list does not change what the test means.
    const created = ADMINISTRATIVE_UNITS.currentUnits('commune').find(
      (u) => ADMINISTRATIVE_UNITS.history(u.code)[0]!.validFrom !== null,
    )!;
    const place = { provinceCode: created.provinceCode!, communeCode: created.code, detail: '' };
    given()
      .when(register({ birthPlace: place, personalId: `${created.provinceCode}190123456` }))
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.ok(
          violations(e).includes('birthPlace.provinceCode:UNKNOWN_UNIT') ||
            violations(e).includes('birthPlace.communeCode:UNKNOWN_UNIT'),
        ),
      );
  });

  it('refuses to register a record twice', () =>
    given(registered()).when(register()).thenThrows(CitizenAlreadyRegisteredError));
});

describe('citizen: residence', () => {
  it('registers and changes the permanent residence; the same address again is no change', () => {
    given(registered())
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: CAI_KHE, since: '2026-03-01' })
      .then([{ type: 'PermanentResidenceRegistered' }]);
    given(registered(), {
      type: 'PermanentResidenceRegistered',
      data: { address: CAI_KHE, since: '2026-03-01' },
    })
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: CAI_KHE, since: '2026-04-01' })
      .thenNothingHappened();
  });

  it('refuses a residence change after death', () =>
    given(registered(), died)
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: CAI_KHE, since: '2026-03-01' })
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.equal((e as CitizenRuleViolationError).reason, 'CITIZEN_DECEASED'),
      ));

  it('registers and ends a temporary residence; ending none is refused', () => {
    given(registered())
      .when({
        type: 'RegisterTemporaryResidence',
        today: TODAY,
        address: CAI_KHE,
        from: '2026-02-01',
        until: '2027-02-01',
      })
      .then([{ type: 'TemporaryResidenceRegistered' }]);
    given(registered(), {
      type: 'TemporaryResidenceRegistered',
      data: { address: CAI_KHE, from: '2026-02-01', until: null },
    })
      .when({ type: 'EndTemporaryResidence', today: TODAY, endedOn: '2026-06-01' })
      .then([{ type: 'TemporaryResidenceEnded' }]);
    given(registered())
      .when({ type: 'EndTemporaryResidence', today: TODAY, endedOn: '2026-06-01' })
      .thenThrows(CitizenRuleViolationError);
  });

  it('refuses a temporary residence that ends before it starts', () =>
    given(registered())
      .when({
        type: 'RegisterTemporaryResidence',
        today: TODAY,
        address: CAI_KHE,
        from: '2026-02-01',
        until: '2026-01-01',
      })
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.deepEqual(violations(e), ['until:BEFORE_START']),
      ));
});

describe('citizen: residence recorded before the 2025 reorganisation (issue 21)', () => {
  /** Phường Hiệp Thành (Bình Dương), 2020: divided between Thủ Dầu Một (25747) and Phú Lợi (25750). */
  const HIEP_THANH = { provinceCode: '074', communeCode: '25741', detail: '12 Đường 30 Tháng 4' };
  const livedThere = (): CitizenEvent => ({
    type: 'PermanentResidenceRegistered',
    data: { address: HIEP_THANH, since: '2020-05-01' },
  });
  const recode = (communeCode: string): CitizenCommand => ({
    type: 'RecodeResidence',
    today: TODAY,
    communeCode,
  });
  const rule =
    (reason: string, subject = 'citizen') =>
    (e: Error) =>
      assert.deepEqual(
        (e as CitizenRuleViolationError).violations.map((v) => `${v.subject}:${v.type}`),
        [`${subject}:${reason}`],
      );

  it('judges an address by the units in force on its date, not by today’s map', () => {
    given(registered())
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: HIEP_THANH, since: '2020-05-01' })
      .then([{ type: 'PermanentResidenceRegistered' }]);
    given(registered())
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: HIEP_THANH, since: '2025-07-01' })
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.deepEqual(violations(e), ['address.provinceCode:UNKNOWN_UNIT']),
      );
  });

  it('records the successor a clerk chose, keeping the recorded address', () => {
    given(registered(), livedThere())
      .when(recode('25750'))
      .then([
        {
          type: 'ResidenceRecoded',
          data: {
            recorded: { provinceCode: '074', communeCode: '25741' },
            since: '2020-05-01',
            provinceCode: '079',
            communeCode: '25750',
            recodedOn: TODAY,
          },
        },
      ]);
    const events = [
      registered(),
      livedThere(),
      ...citizenDecider.decide(
        recode('25750'),
        [registered(), livedThere()].reduce(citizenDecider.evolve, citizenDecider.initialState()),
      ),
    ];
    const state = events.reduce(citizenDecider.evolve, citizenDecider.initialState());
    assert.ok(state.status === 'alive');
    assert.deepEqual(state.record.permanentResidence, {
      ...HIEP_THANH,
      since: '2020-05-01',
      recodedTo: { provinceCode: '079', communeCode: '25750', on: TODAY },
    });
  });

  it('NOT_A_SUCCESSOR, NO_RECODING_NEEDED, ALREADY_RECODED', () => {
    given(registered(), livedThere())
      .when(recode('31120'))
      .thenThrows(CitizenRuleViolationError, rule('NOT_A_SUCCESSOR', 'communeCode'));
    given(registered())
      .when(recode('25750'))
      .thenThrows(CitizenRuleViolationError, rule('NO_RECODING_NEEDED'));
    given(registered(), {
      type: 'PermanentResidenceRegistered',
      data: { address: CAI_KHE, since: '2026-03-01' },
    })
      .when(recode('31120'))
      .thenThrows(CitizenRuleViolationError, rule('NO_RECODING_NEEDED'));
    const recoded: CitizenEvent = {
      type: 'ResidenceRecoded',
      data: {
        recorded: { provinceCode: '074', communeCode: '25741' },
        since: '2020-05-01',
        provinceCode: '079',
        communeCode: '25750',
        recodedOn: TODAY,
      },
    };
    given(registered(), livedThere(), recoded)
      .when(recode('25747'))
      .thenThrows(CitizenRuleViolationError, rule('ALREADY_RECODED'));
  });

  it('judges the commune chosen without any state: a commune of today, by its code', () => {
    for (const [code, reason] of [
      ['', 'REQUIRED'],
      ['2575', 'INVALID_FORMAT'],
      ['25741', 'UNKNOWN_UNIT'],
    ] as const) {
      assert.throws(
        () => validate(recode(code)),
        (e: Error) => (assert.deepEqual(violations(e), [`communeCode:${reason}`]), true),
      );
    }
  });
});

describe('citizen: family, death, corrections, verification', () => {
  it('follows marital status transitions', () => {
    given(registered())
      .when({
        type: 'ChangeMaritalStatus',
        today: TODAY,
        status: 'married',
        spouseCitizenId: SPOUSE,
        since: '2020-01-01',
        relatives: kin({ [SPOUSE]: person('male', '1985-01-01') }),
      })
      .then([{ type: 'MaritalStatusChanged', data: { status: 'married', spouseCitizenId: SPOUSE } }]);
    given(registered())
      .when({
        type: 'ChangeMaritalStatus',
        today: TODAY,
        status: 'divorced',
        spouseCitizenId: null,
        since: '2020-01-01',
      })
      .thenThrows(CitizenRuleViolationError);
    given(registered())
      .when({
        type: 'ChangeMaritalStatus',
        today: TODAY,
        status: 'married',
        spouseCitizenId: null,
        since: '2020-01-01',
      })
      .thenThrows(InvalidCitizenCommandError);
  });

  it('records a death once, not before birth nor in the future', () => {
    given(registered())
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-01-02', certificateRef: 'KT-1' })
      .then([{ type: 'DeathRecorded' }]);
    given(registered(), died)
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-01-02', certificateRef: 'KT-1' })
      .thenThrows(CitizenRuleViolationError);
    given(registered())
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '1980-01-01', certificateRef: 'KT-1' })
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.deepEqual(violations(e), ['dateOfDeath:BEFORE_BIRTH']),
      );
  });

  it('corrects a field with a reason and evidence, keeping the previous value', () =>
    given(registered())
      .when({
        type: 'CorrectField',
        today: TODAY,
        field: 'ethnicity',
        value: 'Tày',
        reason: 'clerical error',
        evidenceRef: 'HS-2026-001',
      })
      .then([{ type: 'FieldCorrected', data: { field: 'ethnicity', previous: 'Kinh', corrected: 'Tày' } }]));

  it('refuses a correction that does not say what, why or on what evidence', () =>
    given(registered())
      .when({ type: 'CorrectField', today: TODAY, field: undefined, value: 'x', reason: '', evidenceRef: '' })
      .thenThrows(InvalidCitizenCommandError, (e) =>
        assert.deepEqual(violations(e).sort(), [
          'evidenceRef:REQUIRED',
          'field:NOT_ALLOWED',
          'reason:REQUIRED',
        ]),
      ));

  it('refuses a correction to the value already recorded', () =>
    given(registered())
      .when({
        type: 'CorrectField',
        today: TODAY,
        field: 'sex',
        value: 'female',
        reason: 'check',
        evidenceRef: 'HS-1',
      })
      .thenThrows(CitizenRuleViolationError));

  it('records a verification, also of a deceased citizen; a discrepancy says what', () => {
    given(registered(), died)
      .when({
        type: 'RecordVerification',
        today: TODAY,
        verifiedBy: 'officer-17',
        outcome: 'confirmed',
        note: '',
      })
      .then([{ type: 'VerificationRecorded', data: { verifiedOn: TODAY } }]);
    given(registered())
      .when({
        type: 'RecordVerification',
        today: TODAY,
        verifiedBy: 'officer-17',
        outcome: 'discrepancy',
        note: ' ',
      })
      .thenThrows(InvalidCitizenCommandError);
  });

  it('refuses commands for a record that does not exist', () =>
    given()
      .when({ type: 'ChangeName', today: TODAY, name: { familyName: 'Lê', givenName: 'An' }, reason: 'x' })
      .thenThrows(CitizenNotFoundError));
});

/** The rule codes of a FAILED_PRECONDITION refusal, with their subjects. */
function rules(e: Error): string[] {
  return (e as CitizenRuleViolationError).violations.map((v) => `${v.subject}:${v.type}`);
}

const FATHER = '0192f000-0000-7000-8000-0000000000f0';
const MOTHER = '0192f000-0000-7000-8000-0000000000a0';
const parents = {
  [FATHER]: person('male', '1960-03-01'),
  [MOTHER]: person('female', '1962-07-09'),
};

describe('citizen: parents (RegisterCitizen and RecordParents)', () => {
  const registerWith = (
    father: string | null,
    mother: string | null,
    records: Record<string, RelativeFacts> = parents,
    self = SELF,
  ) => register({ fatherCitizenId: father, motherCitizenId: mother, relatives: kin(records, self) });
  const recordParents = (
    father: string | null,
    mother: string | null,
    records: Record<string, RelativeFacts> = parents,
  ): CitizenCommand => ({
    type: 'RecordParents',
    today: TODAY,
    fatherCitizenId: father,
    motherCitizenId: mother,
    relatives: kin(records),
  });

  it('accepts registered parents of the right sex, born long enough before the child', () => {
    given()
      .when(registerWith(FATHER, MOTHER))
      .then([{ type: 'CitizenRegistered', data: { fatherCitizenId: FATHER } }]);
    given(registered())
      .when(recordParents(FATHER, MOTHER))
      .then([{ type: 'ParentsRecorded' }]);
  });

  it('PARENT_NOT_FOUND: a parent the register does not hold', () => {
    given()
      .when(registerWith(FATHER, MOTHER, { [MOTHER]: parents[MOTHER] }))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['fatherCitizenId:PARENT_NOT_FOUND']),
      );
    given(registered())
      .when(recordParents(null, MOTHER, {}))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['motherCitizenId:PARENT_NOT_FOUND']),
      );
  });

  it('PARENT_IS_CITIZEN: the citizen named as their own parent', () =>
    given(registered())
      .when(recordParents(SELF, null))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['fatherCitizenId:PARENT_IS_CITIZEN']),
      ));

  it('SAME_PARENT_TWICE: one record as father and mother', () =>
    given()
      .when(registerWith(FATHER, FATHER))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['motherCitizenId:SAME_PARENT_TWICE']),
      ));

  it('PARENT_TOO_YOUNG and PARENT_SEX_MISMATCH: a girl born in 2020 as the father of a man born in 1987', () => {
    const girl = '0192f000-0000-7000-8000-000000002020';
    given(registered())
      .when(recordParents(girl, null, { [girl]: person('female', '2020-04-30') }))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), [
          'fatherCitizenId:PARENT_SEX_MISMATCH',
          'fatherCitizenId:PARENT_TOO_YOUNG',
        ]),
      );
    given()
      .when(registerWith(null, MOTHER, { [MOTHER]: person('male', '1950-01-01') }))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['motherCitizenId:PARENT_SEX_MISMATCH']),
      );
  });

  it('PARENT_TOO_YOUNG: at least 12 years by default, to the day, and configurable', () => {
    // The child was born 1990-05-17.
    const father = (birthDate: string) => ({ [FATHER]: person('male', birthDate) });
    given()
      .when(registerWith(FATHER, null, father('1978-05-17')))
      .then([{ type: 'CitizenRegistered' }]);
    given()
      .when(registerWith(FATHER, null, father('1978-05-18')))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['fatherCitizenId:PARENT_TOO_YOUNG']),
      );
    given()
      .when({
        ...registerWith(FATHER, null, father('1975-01-01')),
        rules: { minParentAgeYears: 16, marriageAge: { male: 20, female: 18 } },
      } as CitizenCommand)
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['fatherCitizenId:PARENT_TOO_YOUNG']),
      );
  });

  it('names no record nor any of its data in the refusal', () =>
    given()
      .when(registerWith(FATHER, MOTHER, { [FATHER]: person('female', '2020-04-30') }))
      .thenThrows(CitizenRuleViolationError, (e) => {
        const text = JSON.stringify((e as CitizenRuleViolationError).violations) + e.message;
        for (const value of [FATHER, MOTHER, '2020', '1990', 'female', 'male']) {
          assert.ok(!text.includes(value), `${value} in ${text}`);
        }
      }));
});

describe('citizen: marriage (ChangeMaritalStatus)', () => {
  // The citizen: a woman born 1990-05-17 (record SELF).
  const marry = (
    records: Record<string, RelativeFacts>,
    since = '2012-01-01',
    self = SELF,
  ): CitizenCommand => ({
    type: 'ChangeMaritalStatus',
    today: TODAY,
    status: 'married',
    spouseCitizenId: SPOUSE,
    since,
    relatives: kin(records, self),
  });
  const man = person('male', '1985-01-01');

  it('records a marriage of two of age, unrelated', () =>
    given(registered())
      .when(marry({ [SPOUSE]: man }))
      .then([{ type: 'MaritalStatusChanged' }]));

  it('MARRIAGE_TO_SELF: never to oneself', () =>
    given(registered())
      .when(marry({}, '2012-01-01', SPOUSE))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['spouseCitizenId:MARRIAGE_TO_SELF']),
      ));

  it('SPOUSE_NOT_FOUND: the spouse must be registered', () =>
    given(registered())
      .when(marry({}))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['spouseCitizenId:SPOUSE_NOT_FOUND']),
      ));

  it('UNDER_MARRIAGE_AGE: women from 18, men from 20, on the day of the marriage, configurable', () => {
    // She turns 18 on 2008-05-17.
    given(registered())
      .when(marry({ [SPOUSE]: man }, '2008-05-17'))
      .then([{ type: 'MaritalStatusChanged' }]);
    given(registered())
      .when(marry({ [SPOUSE]: man }, '2008-05-16'))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['citizen:UNDER_MARRIAGE_AGE']),
      );
    // He turns 20 on 2010-06-01.
    const young = { [SPOUSE]: person('male', '1990-06-01') };
    given(registered())
      .when(marry(young, '2010-06-01'))
      .then([{ type: 'MaritalStatusChanged' }]);
    given(registered())
      .when(marry(young, '2010-05-31'))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['spouseCitizenId:UNDER_MARRIAGE_AGE']),
      );
    given(registered())
      .when({
        ...marry({ [SPOUSE]: man }, '2010-01-01'),
        rules: { minParentAgeYears: 12, marriageAge: { male: 20, female: 20 } },
      } as CitizenCommand)
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['citizen:UNDER_MARRIAGE_AGE']),
      );
  });

  it('CLOSE_RELATIVES: a parent, a child, a sibling or half-sibling, a grandparent, a cousin, an uncle', () => {
    const G = '0192f000-0000-7000-8000-00000000000a';
    const refused = (name: string, citizen: CitizenEvent[], records: Record<string, RelativeFacts>) =>
      given(...citizen)
        .when(marry(records))
        .thenThrows(CitizenRuleViolationError, (e) =>
          assert.deepEqual(rules(e), ['spouseCitizenId:CLOSE_RELATIVES'], name),
        );
    const withParents = (father: string | null, mother: string | null): CitizenEvent[] => [
      registered(),
      { type: 'ParentsRecorded', data: { fatherCitizenId: father, motherCitizenId: mother } },
    ];
    // Her father.
    refused('parent', withParents(SPOUSE, null), { [SPOUSE]: person('male', '1960-01-01') });
    // Her son (she is his mother).
    refused('child', [registered()], { [SPOUSE]: person('male', '1985-01-01', { motherCitizenId: SELF }) });
    // A half-brother: the same father.
    refused('half-sibling', withParents(FATHER, null), {
      [SPOUSE]: person('male', '1985-01-01', { fatherCitizenId: FATHER }),
      [FATHER]: parents[FATHER],
    });
    // Her grandfather: her father's father.
    refused('grandparent', withParents(FATHER, null), {
      [SPOUSE]: person('male', '1930-01-01'),
      [FATHER]: person('male', '1960-03-01', { fatherCitizenId: SPOUSE }),
    });
    // A first cousin: their fathers are brothers, sons of G.
    refused('cousin', withParents(FATHER, null), {
      [FATHER]: person('male', '1960-03-01', { fatherCitizenId: G }),
      [SPOUSE]: person('male', '1985-01-01', { fatherCitizenId: MOTHER }),
      [MOTHER]: person('male', '1962-01-01', { fatherCitizenId: G }),
      [G]: person('male', '1935-01-01'),
    });
    // Her uncle: her father's brother, a son of G.
    refused('uncle', withParents(FATHER, null), {
      [FATHER]: person('male', '1960-03-01', { fatherCitizenId: G }),
      [SPOUSE]: person('male', '1965-01-01', { fatherCitizenId: G }),
      [G]: person('male', '1935-01-01'),
    });
  });

  it('SPOUSE_DECEASED and SPOUSE_MARRIED: the spouse alive on the day and free to marry', () => {
    given(registered())
      .when(marry({ [SPOUSE]: person('male', '1985-01-01', { deceased: true, dateOfDeath: '2011-12-31' }) }))
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['spouseCitizenId:SPOUSE_DECEASED']),
      );
    const other = '0192f000-0000-7000-8000-0000000000bb';
    given(registered())
      .when(
        marry({
          [SPOUSE]: person('male', '1985-01-01', { maritalStatus: 'married', spouseCitizenId: other }),
        }),
      )
      .thenThrows(CitizenRuleViolationError, (e) =>
        assert.deepEqual(rules(e), ['spouseCitizenId:SPOUSE_MARRIED']),
      );
    // Married to this citizen already: the other half of one marriage.
    given(registered())
      .when(
        marry({
          [SPOUSE]: person('male', '1985-01-01', { maritalStatus: 'married', spouseCitizenId: SELF }),
        }),
      )
      .then([{ type: 'MaritalStatusChanged' }]);
  });
});

describe('citizen: input rules', () => {
  const refusedWith = (command: CitizenCommand, expected: string[], state: CitizenEvent[] = []) =>
    given(...state)
      .when(command)
      .thenThrows(InvalidCitizenCommandError, (e) => assert.deepEqual(violations(e), expected));

  it('bounds every name part (a 100 KB family name) and refuses what no name holds', () => {
    refusedWith(register({ name: { familyName: 'A'.repeat(100_000), middleName: '', givenName: 'An' } }), [
      'name.familyName:TOO_LONG',
    ]);
    refusedWith(register({ name: { familyName: 'Lê', middleName: 'Văn 2', givenName: '' } }), [
      'name.middleName:INVALID_CHARACTERS',
      'name.givenName:REQUIRED',
    ]);
    refusedWith(register({ name: { familyName: 'L\u200Bê', middleName: '', givenName: 'An' } }), [
      'name.familyName:INVALID_CHARACTERS',
    ]);
  });

  it('NOT_ISO_3166, UNKNOWN_ETHNICITY, UNKNOWN_RELIGION: values of the versioned reference lists', () => {
    refusedWith(register({ nationality: 'ZZZ', ethnicity: 'Klingon', religion: 'Jedi' }), [
      'nationality:NOT_ISO_3166',
      'ethnicity:UNKNOWN_ETHNICITY',
      'religion:UNKNOWN_RELIGION',
    ]);
    given()
      .when(register({ nationality: 'vnm', ethnicity: 'gia-rai', religion: 'phat giao' }))
      .then([
        {
          type: 'CitizenRegistered',
          data: { nationality: 'VNM', ethnicity: 'Gia Rai', religion: 'Phật giáo' },
        },
      ]);
  });

  it('INVALID_DATE: a date of the right shape that does not exist', () => {
    // With no birth date to judge it on, the birth place is judged as of today: Hàng Đào is gone.
    const gone = 'birthPlace.communeCode:UNKNOWN_UNIT';
    refusedWith(register({ birthDate: '2023-02-30' }), ['birthDate:INVALID_DATE', gone]);
    refusedWith(register({ birthDate: '9999-99-99' }), ['birthDate:INVALID_DATE', gone]);
    refusedWith(register({ birthDate: '1990-5-17' }), ['birthDate:INVALID_DATE_FORMAT', gone]);
    refusedWith(
      { type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-02-29', certificateRef: 'KT-1' },
      ['dateOfDeath:INVALID_DATE'],
      [registered()],
    );
  });

  it('IN_FUTURE and BEFORE_BIRTH: no death tomorrow, none before the birth', () => {
    refusedWith(
      { type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-11-27', certificateRef: 'KT-1' },
      ['dateOfDeath:IN_FUTURE'],
      [registered()],
    );
    refusedWith(
      { type: 'RecordDeath', today: TODAY, dateOfDeath: '1990-05-16', certificateRef: 'KT-1' },
      ['dateOfDeath:BEFORE_BIRTH'],
      [registered()],
    );
  });

  it('bounds every text a command carries', () => {
    const state = [registered()];
    refusedWith(
      {
        type: 'ChangeName',
        today: TODAY,
        name: { familyName: 'Lê', givenName: 'An' },
        reason: 'x'.repeat(501),
      },
      ['reason:TOO_LONG'],
      state,
    );
    refusedWith(
      { type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-01-01', certificateRef: 'x'.repeat(101) },
      ['certificateRef:TOO_LONG'],
      state,
    );
    refusedWith(
      {
        type: 'RecordVerification',
        today: TODAY,
        verifiedBy: 'o-1',
        outcome: 'discrepancy',
        note: 'x'.repeat(1001),
      },
      ['note:TOO_LONG'],
      state,
    );
    refusedWith(
      {
        type: 'RegisterPermanentResidence',
        today: TODAY,
        address: { ...CAI_KHE, detail: 'x'.repeat(301) },
        since: '2026-01-01',
      },
      ['address.detail:TOO_LONG'],
      state,
    );
    refusedWith(
      { type: 'RecordParents', today: TODAY, fatherCitizenId: 'not-a-uuid', motherCitizenId: null },
      ['fatherCitizenId:INVALID_CITIZEN_ID'],
      state,
    );
  });

  it('judges a command’s input without any state (validate), so it can be refused before the database', () => {
    assert.throws(
      () =>
        validate({
          type: 'ChangeMaritalStatus',
          today: TODAY,
          status: 'married',
          spouseCitizenId: null,
          since: '2030-01-01',
        }),
      (e: Error) => e instanceof InvalidCitizenCommandError && violations(e).join() === 'since:IN_FUTURE',
    );
    assert.doesNotThrow(() =>
      validate({ type: 'RecordParents', today: TODAY, fatherCitizenId: FATHER, motherCitizenId: null }),
    );
    // A birth's number is drawn after the facts are judged.
    const birth = register({
      personalId: '',
      registration: 'birth',
      birthDate: '2026-11-01',
      birthPlace: CAI_KHE,
    });
    assert.doesNotThrow(() => validate(birth, { withoutNumber: true }));
    assert.throws(
      () => validate(birth),
      (e: Error) => violations(e).join() === 'personalId:INVALID_FORMAT',
    );
  });

  it('refuses corrections to values outside the lists, or that the number contradicts', () => {
    const correctTo = (field: CorrectableField, value: unknown): CitizenCommand => ({
      type: 'CorrectField',
      today: TODAY,
      field,
      value,
      reason: 'clerical error',
      evidenceRef: 'HS-1',
    });
    refusedWith(correctTo('ethnicity', 'Klingon'), ['value:UNKNOWN_ETHNICITY'], [registered()]);
    refusedWith(correctTo('nationality', 'ZZZ'), ['value:NOT_ISO_3166'], [registered()]);
    // The number 001190123456 says: a woman born in 1990, birth registered in Hà Nội (001).
    refusedWith(correctTo('birthDate', '1991-05-17'), ['value:BIRTH_YEAR_MISMATCH'], [registered()]);
    refusedWith(correctTo('sex', 'male'), ['value:SEX_MISMATCH'], [registered()]);
    given(registered())
      .when(correctTo('birthDate', '1990-06-17'))
      .then([{ type: 'FieldCorrected' }]);
    refusedWith(
      correctTo('birthDate', '1990-01-05'),
      ['value:AFTER_DEATH'],
      [registered(), { type: 'DeathRecorded', data: { dateOfDeath: '1990-01-04', certificateRef: 'KT-1' } }],
    );
  });
});
