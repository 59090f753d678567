import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CitizenCommand } from './commands.js';
import { citizenDecider } from './decider.js';
import {
  CitizenAlreadyRegisteredError,
  CitizenNotFoundError,
  CitizenRuleViolationError,
  InvalidCitizenCommandError,
} from './errors.js';
import type { CitizenEvent } from './events.js';

/** given(events).when(command) → the events it causes, or the error it is refused with. */
function given(...history: CitizenEvent[]) {
  const state = history.reduce(citizenDecider.evolve, citizenDecider.initialState());
  return {
    when: (command: CitizenCommand) => ({
      then: (expected: Array<Pick<CitizenEvent, 'type'> & { data?: object }>) => {
        const events = citizenDecider.decide(command, state);
        assert.deepEqual(
          events.map((e) => e.type),
          expected.map((e) => e.type),
        );
        expected.forEach(
          (e, i) => e.data && assert.deepEqual(events[i]!.data, { ...events[i]!.data, ...e.data }),
        );
      },
      refused: (error: new (...args: never[]) => Error, check?: (e: Error) => void) =>
        assert.throws(
          () => citizenDecider.decide(command, state),
          (e: Error) => {
            assert.ok(e instanceof error, `${e.name}: ${e.message}`);
            check?.(e);
            return true;
          },
        ),
    }),
  };
}

const TODAY = '2026-11-26';
const HANG_DAO = { provinceCode: '001', communeCode: '00049', detail: '12 Hàng Đào' };
const BA_DINH = { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' };
const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };
const SPOUSE = '0192f000-0000-7000-8000-000000000042';

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
      .refused(InvalidCitizenCommandError, (e) => {
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
      .refused(InvalidCitizenCommandError, (e) =>
        assert.ok(violations(e).some((v) => v.startsWith('personalId'))),
      ));

  it('refuses a commune that was not in force on the date, or is in another province', () => {
    given()
      .when(register({ birthPlace: { provinceCode: '001', communeCode: '31120', detail: '' } }))
      .refused(InvalidCitizenCommandError, (e) =>
        assert.ok(violations(e).some((v) => v.startsWith('birthPlace.communeCode'))),
      );
    // Cái Khế exists only since the 2025 reorganisation.
    given()
      .when(register({ birthPlace: CAI_KHE, personalId: '092190123456' }))
      .refused(InvalidCitizenCommandError, (e) =>
        assert.ok(
          violations(e).includes('birthPlace.provinceCode:UNKNOWN_UNIT') ||
            violations(e).includes('birthPlace.communeCode:UNKNOWN_UNIT'),
        ),
      );
  });

  it('refuses to register a record twice', () =>
    given(registered()).when(register()).refused(CitizenAlreadyRegisteredError));
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
      .then([]);
  });

  it('refuses a residence change after death', () =>
    given(registered(), died)
      .when({ type: 'RegisterPermanentResidence', today: TODAY, address: CAI_KHE, since: '2026-03-01' })
      .refused(CitizenRuleViolationError, (e) =>
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
      .refused(CitizenRuleViolationError);
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
      .refused(InvalidCitizenCommandError, (e) => assert.deepEqual(violations(e), ['until:BEFORE_START'])));
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
      .refused(CitizenRuleViolationError);
    given(registered())
      .when({
        type: 'ChangeMaritalStatus',
        today: TODAY,
        status: 'married',
        spouseCitizenId: null,
        since: '2020-01-01',
      })
      .refused(InvalidCitizenCommandError);
  });

  it('records a death once, not before birth nor in the future', () => {
    given(registered())
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-01-02', certificateRef: 'KT-1' })
      .then([{ type: 'DeathRecorded' }]);
    given(registered(), died)
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '2026-01-02', certificateRef: 'KT-1' })
      .refused(CitizenRuleViolationError);
    given(registered())
      .when({ type: 'RecordDeath', today: TODAY, dateOfDeath: '1980-01-01', certificateRef: 'KT-1' })
      .refused(InvalidCitizenCommandError, (e) =>
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
      .refused(InvalidCitizenCommandError, (e) =>
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
      .refused(CitizenRuleViolationError));

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
      .refused(InvalidCitizenCommandError);
  });

  it('refuses commands for a record that does not exist', () =>
    given()
      .when({ type: 'ChangeName', today: TODAY, name: { familyName: 'Lê', givenName: 'An' }, reason: 'x' })
      .refused(CitizenNotFoundError));
});
