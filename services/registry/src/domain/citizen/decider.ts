import type { Decider } from '@cancuoc/eventstore';
import { CalendarDate, parsePersonalId } from '@cancuoc/identity';
import type { CitizenCommand } from './commands.js';
import {
  CitizenAlreadyRegisteredError,
  CitizenNotFoundError,
  CitizenRuleViolationError,
  InvalidCitizenCommandError,
} from './errors.js';
import type { AddressData, CitizenEvent, CorrectableField, CorrectableFields, NameData } from './events.js';
import { evolve, initialState, type CitizenRecord, type CitizenState } from './state.js';
import { Violations } from './validation.js';

const MARITAL = ['single', 'married', 'divorced', 'widowed'] as const;
const CORRECTABLE: readonly CorrectableField[] = [
  'name',
  'birthDate',
  'sex',
  'ethnicity',
  'religion',
  'nationality',
  'homeTown',
  'birthPlace',
];
const CITIZEN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NATIONALITY = /^[A-Z]{3}$/;

function today(command: { today: string }): CalendarDate {
  return CalendarDate.parse(command.today, 'today');
}

function relative(v: Violations, field: string, id: string | null): string | null {
  if (id === null || id === '') return null;
  if (!CITIZEN_ID.test(id)) {
    v.add(field, 'INVALID_CITIZEN_ID', 'not a citizen record id');
    return null;
  }
  return id;
}

function registered(state: CitizenState): Extract<CitizenState, { record: CitizenRecord }> {
  if (state.status === 'unregistered') throw new CitizenNotFoundError();
  return state;
}

function alive(state: CitizenState, what: string): CitizenRecord {
  const s = registered(state);
  if (s.status === 'deceased') {
    throw new CitizenRuleViolationError(
      'CITIZEN_DECEASED',
      `${what} cannot be recorded for a deceased citizen`,
    );
  }
  return s.record;
}

function notBeforeBirth(
  v: Violations,
  field: string,
  date: CalendarDate | undefined,
  birthDate: string,
): void {
  if (date && date.isBefore(CalendarDate.parse(birthDate))) {
    v.add(field, 'BEFORE_BIRTH', 'the date is before the citizen was born');
  }
}

function register(
  command: Extract<CitizenCommand, { type: 'RegisterCitizen' }>,
  state: CitizenState,
): CitizenEvent[] {
  if (state.status !== 'unregistered') throw new CitizenAlreadyRegisteredError();
  const now = today(command);
  const v = new Violations();
  const name = v.name('name', command.name);
  const birthDate = v.date('birthDate', command.birthDate, now);
  const sex = v.oneOf('sex', command.sex, ['male', 'female'] as const);
  const on = birthDate ?? now;
  const birthPlace = v.address('birthPlace', command.birthPlace, on);
  const homeTown = v.address('homeTown', command.homeTown, 'ever');
  const permanentResidence =
    command.permanentResidence === undefined
      ? undefined
      : v.address('permanentResidence', command.permanentResidence, now);
  const nationality = v.text('nationality', command.nationality, 3);
  if (nationality && !NATIONALITY.test(nationality))
    v.add('nationality', 'NOT_ISO_3166', 'an ISO 3166-1 alpha-3 code');
  const ethnicity = v.text('ethnicity', command.ethnicity, 50);
  const religion = v.text('religion', command.religion, 50);
  const father = relative(v, 'fatherCitizenId', command.fatherCitizenId);
  const mother = relative(v, 'motherCitizenId', command.motherCitizenId);
  const personalId = v.catching(() =>
    parsePersonalId(command.personalId, { field: 'personalId', asOf: now }),
  );
  if (personalId && birthDate && sex && birthPlace) {
    // Numbers keep the prefix of the province where the birth was registered, as it was then.
    for (const violation of personalId.validateAgainst({
      birthDate,
      sex,
      birthRegistrationProvinceCode: birthPlace.provinceCode,
    })) {
      v.add(violation.field, violation.reason, violation.description);
    }
  }
  if (command.registration === 'birth' && birthDate && now.toEpochDay() - birthDate.toEpochDay() > 366 * 18) {
    v.add('registration', 'NOT_A_BIRTH', 'an adult is registered by initial collection, not as a birth');
  }
  v.throwIfAny();
  const events: CitizenEvent[] = [
    {
      type: 'CitizenRegistered',
      data: {
        personalId: personalId!.value,
        registration: command.registration,
        ...name!,
        birthDate: birthDate!.toString(),
        sex: sex!,
        nationality: nationality!,
        ethnicity: ethnicity!,
        religion: religion!,
        birthPlace: birthPlace!,
        homeTown: homeTown!,
        fatherCitizenId: father,
        motherCitizenId: mother,
        registeredOn: now.toString(),
      },
    },
  ];
  if (permanentResidence) {
    events.push({
      type: 'PermanentResidenceRegistered',
      data: { address: permanentResidence, since: now.toString() },
    });
  }
  return events;
}

function sameAddress(a: AddressData | null, b: AddressData): boolean {
  return (
    a !== null &&
    a.provinceCode === b.provinceCode &&
    a.communeCode === b.communeCode &&
    a.detail === b.detail
  );
}

function correct(
  command: Extract<CitizenCommand, { type: 'CorrectField' }>,
  record: CitizenRecord,
): CitizenEvent[] {
  const now = today(command);
  const v = new Violations();
  const field = v.oneOf('field', command.field, CORRECTABLE);
  const reason = v.text('reason', command.reason, 500);
  const evidenceRef = v.text('evidenceRef', command.evidenceRef, 200);
  let corrected: CorrectableFields[CorrectableField] | undefined;
  let previous: CorrectableFields[CorrectableField] | undefined;
  const value = command.value;
  switch (field) {
    case 'name':
      corrected = v.name('value', value as Partial<NameData>);
      previous = record.name;
      break;
    case 'birthDate':
      corrected = v.date('value', typeof value === 'string' ? value : undefined, now)?.toString();
      previous = record.birthDate;
      break;
    case 'sex':
      corrected = v.oneOf('value', typeof value === 'string' ? value : undefined, [
        'male',
        'female',
      ] as const);
      previous = record.sex;
      break;
    case 'ethnicity':
    case 'religion':
      corrected = v.text('value', typeof value === 'string' ? value : undefined, 50);
      previous = record[field];
      break;
    case 'nationality':
      corrected = v.text('value', typeof value === 'string' ? value : undefined, 3);
      if (typeof corrected === 'string' && !NATIONALITY.test(corrected))
        v.add('value', 'NOT_ISO_3166', 'an ISO 3166-1 alpha-3 code');
      previous = record.nationality;
      break;
    case 'homeTown':
    case 'birthPlace':
      corrected = v.address(
        'value',
        value as Partial<AddressData>,
        field === 'birthPlace' ? CalendarDate.parse(record.birthDate) : now,
      );
      previous = record[field];
      break;
    case undefined:
      break;
  }
  v.throwIfAny();
  if (JSON.stringify(corrected) === JSON.stringify(previous)) {
    throw new CitizenRuleViolationError(
      'NOTHING_TO_CORRECT',
      'the corrected value is the value already recorded',
    );
  }
  return [
    {
      type: 'FieldCorrected',
      data: {
        field: field!,
        previous: previous!,
        corrected: corrected!,
        reason: reason!,
        evidenceRef: evidenceRef!,
      },
    },
  ];
}

function maritalStatus(
  command: Extract<CitizenCommand, { type: 'ChangeMaritalStatus' }>,
  record: CitizenRecord,
): CitizenEvent[] {
  const v = new Violations();
  const status = v.oneOf('status', command.status, MARITAL);
  const since = v.date('since', command.since, today(command));
  notBeforeBirth(v, 'since', since, record.birthDate);
  const spouse = relative(v, 'spouseCitizenId', command.spouseCitizenId);
  if (status === 'married' && spouse === null)
    v.add('spouseCitizenId', 'REQUIRED', 'a marriage names the spouse');
  if (status !== 'married' && spouse !== null)
    v.add('spouseCitizenId', 'NOT_ALLOWED', 'only a marriage names a spouse');
  v.throwIfAny();
  const from = record.maritalStatus;
  const allowed: Record<typeof from, readonly string[]> = {
    single: ['married'],
    married: ['divorced', 'widowed'],
    divorced: ['married'],
    widowed: ['married'],
  };
  if (!allowed[from].includes(status!)) {
    throw new CitizenRuleViolationError('MARITAL_TRANSITION', `a ${from} citizen cannot become ${status}`);
  }
  return [
    {
      type: 'MaritalStatusChanged',
      data: { status: status!, spouseCitizenId: spouse, since: since!.toString() },
    },
  ];
}

export function decide(command: CitizenCommand, state: CitizenState): CitizenEvent[] {
  switch (command.type) {
    case 'RegisterCitizen':
      return register(command, state);
    case 'ChangeName': {
      const record = alive(state, 'a name change');
      const v = new Violations();
      const name = v.name('name', command.name);
      const reason = v.text('reason', command.reason, 500);
      v.throwIfAny();
      if (JSON.stringify(name) === JSON.stringify(record.name)) return [];
      return [
        { type: 'NameChanged', data: { ...name!, reason: reason!, changedOn: today(command).toString() } },
      ];
    }
    case 'RegisterPermanentResidence': {
      const record = alive(state, 'a residence change');
      const v = new Violations();
      const since = v.date('since', command.since, today(command));
      notBeforeBirth(v, 'since', since, record.birthDate);
      const address = since ? v.address('address', command.address, since) : undefined;
      v.throwIfAny();
      if (sameAddress(record.permanentResidence, address!)) return [];
      if (record.permanentResidence && since!.isBefore(CalendarDate.parse(record.permanentResidence.since))) {
        throw new CitizenRuleViolationError(
          'BEFORE_CURRENT_RESIDENCE',
          'a new residence cannot start before the current one',
        );
      }
      return [
        { type: 'PermanentResidenceRegistered', data: { address: address!, since: since!.toString() } },
      ];
    }
    case 'RegisterTemporaryResidence': {
      const record = alive(state, 'a residence change');
      const v = new Violations();
      const from = v.date('from', command.from, today(command));
      notBeforeBirth(v, 'from', from, record.birthDate);
      const until = command.until
        ? v.date('until', command.until, today(command), { allowFuture: true })
        : null;
      if (from && until && !until.isAfter(from))
        v.add('until', 'BEFORE_START', 'the end is not after the start');
      const address = from ? v.address('address', command.address, from) : undefined;
      v.throwIfAny();
      if (sameAddress(record.permanentResidence, address!)) {
        throw new CitizenRuleViolationError(
          'SAME_AS_PERMANENT',
          'a temporary residence differs from the permanent one',
        );
      }
      return [
        {
          type: 'TemporaryResidenceRegistered',
          data: { address: address!, from: from!.toString(), until: until ? until.toString() : null },
        },
      ];
    }
    case 'EndTemporaryResidence': {
      const record = alive(state, 'a residence change');
      if (!record.temporaryResidence) {
        throw new CitizenRuleViolationError('NO_TEMPORARY_RESIDENCE', 'no temporary residence is registered');
      }
      const v = new Violations();
      const endedOn = v.date('endedOn', command.endedOn, today(command));
      if (endedOn && endedOn.isBefore(CalendarDate.parse(record.temporaryResidence.from))) {
        v.add('endedOn', 'BEFORE_START', 'the end is before the residence started');
      }
      v.throwIfAny();
      return [{ type: 'TemporaryResidenceEnded', data: { endedOn: endedOn!.toString() } }];
    }
    case 'RecordParents': {
      registered(state);
      const v = new Violations();
      const father = relative(v, 'fatherCitizenId', command.fatherCitizenId);
      const mother = relative(v, 'motherCitizenId', command.motherCitizenId);
      if (father === null && mother === null)
        v.add('fatherCitizenId', 'REQUIRED', 'name at least one parent');
      v.throwIfAny();
      return [{ type: 'ParentsRecorded', data: { fatherCitizenId: father, motherCitizenId: mother } }];
    }
    case 'ChangeMaritalStatus':
      return maritalStatus(command, alive(state, 'a marital status change'));
    case 'RecordDeath': {
      const record = alive(state, 'a death');
      const v = new Violations();
      const date = v.date('dateOfDeath', command.dateOfDeath, today(command));
      notBeforeBirth(v, 'dateOfDeath', date, record.birthDate);
      const certificateRef = v.text('certificateRef', command.certificateRef, 100);
      v.throwIfAny();
      return [
        { type: 'DeathRecorded', data: { dateOfDeath: date!.toString(), certificateRef: certificateRef! } },
      ];
    }
    case 'CorrectField':
      return correct(command, registered(state).record);
    case 'RecordVerification': {
      registered(state);
      const v = new Violations();
      const verifiedBy = v.text('verifiedBy', command.verifiedBy, 100);
      const outcome = v.oneOf('outcome', command.outcome, ['confirmed', 'discrepancy'] as const);
      if (outcome === 'discrepancy' && !command.note.trim())
        v.add('note', 'REQUIRED', 'say what does not match');
      v.throwIfAny();
      return [
        {
          type: 'VerificationRecorded',
          data: {
            verifiedBy: verifiedBy!,
            verifiedOn: today(command).toString(),
            outcome: outcome!,
            note: command.note.trim(),
          },
        },
      ];
    }
  }
}

export const citizenDecider: Decider<CitizenState, CitizenCommand, CitizenEvent> = {
  decide,
  evolve,
  initialState,
};
export { InvalidCitizenCommandError };
