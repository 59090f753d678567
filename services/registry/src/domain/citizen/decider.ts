import type { Decider } from '@cancuoc/eventstore';
import {
  ADMINISTRATIVE_UNITS,
  CalendarDate,
  ETHNIC_GROUPS,
  NATIONALITIES,
  RELIGIONS,
  parsePersonalId,
  type FieldViolation,
} from '@cancuoc/identity';
import type { CitizenCommand } from './commands.js';
import {
  CitizenAlreadyRegisteredError,
  CitizenNotFoundError,
  CitizenRuleViolationError,
  InvalidCitizenCommandError,
} from './errors.js';
import type {
  AddressData,
  CitizenEvent,
  CorrectableField,
  CorrectableFields,
  MaritalStatus,
  NameData,
  Sex,
} from './events.js';
import {
  DEFAULT_FAMILY_RULES,
  marriageViolations,
  parentViolations,
  type Relatives,
} from './family-rules.js';
import { evolve, initialState, type CitizenRecord, type CitizenState } from './state.js';
import { Violations } from './validation.js';

const MARITAL = ['single', 'married', 'divorced', 'widowed'] as const;
const SEXES = ['male', 'female'] as const;
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

/** Field lengths, in characters: every text a command carries is bounded. */
export const MAX_LENGTH = {
  reason: 500,
  evidenceRef: 200,
  certificateRef: 100,
  verifiedBy: 100,
  note: 1000,
} as const;

type Command<T extends CitizenCommand['type']> = Extract<CitizenCommand, { type: T }>;

function today(command: { today: string }): CalendarDate {
  return CalendarDate.parse(command.today, 'today');
}

function relative(v: Violations, field: string, id: unknown): string | null {
  if (id === null || id === undefined || id === '') return null;
  if (typeof id !== 'string' || !CITIZEN_ID.test(id)) {
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

const NOBODY: Relatives = { self: '', records: new Map() };

/**
 * What the register holds of the records `named` (ids the command names). A command naming other
 * records is decided with what the register holds of them: deciding without would accept parents
 * and spouses unseen, so that is a fault of the caller, not of the input.
 */
function relativesOf(
  command: { relatives?: Relatives | undefined },
  named: readonly (string | null)[],
): Relatives {
  if (command.relatives) return command.relatives;
  if (named.every((id) => id === null)) return NOBODY;
  throw new Error('the records a command names were not loaded for it');
}

function refuseIfAny(violations: ReturnType<typeof parentViolations>): void {
  if (violations.length > 0) throw CitizenRuleViolationError.of(violations);
}

// ---------------------------------------------------------------------------------------------
// Each command's input, judged on its own: formats, lengths, dates, units, reference lists. No
// state is needed, so the application runs these (`validate`) before it touches the database.
// ---------------------------------------------------------------------------------------------

interface Registration {
  readonly personalId: ReturnType<typeof parsePersonalId> | undefined;
  readonly name: NameData;
  readonly birthDate: CalendarDate;
  readonly sex: Sex;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly birthPlace: AddressData;
  readonly homeTown: AddressData;
  readonly permanentResidence: AddressData | undefined;
  readonly fatherCitizenId: string | null;
  readonly motherCitizenId: string | null;
}

function parseRegistration(command: Command<'RegisterCitizen'>, withoutNumber: boolean): Registration {
  const now = today(command);
  const v = new Violations();
  const name = v.name('name', command.name);
  const birthDate = v.date('birthDate', command.birthDate, now);
  const sex = v.oneOf('sex', command.sex, SEXES);
  const on = birthDate ?? now;
  const birthPlace = v.address('birthPlace', command.birthPlace, on);
  const homeTown = v.address('homeTown', command.homeTown, 'ever');
  const permanentResidence =
    command.permanentResidence === undefined
      ? undefined
      : v.address('permanentResidence', command.permanentResidence, now);
  const nationality = v.reference('nationality', command.nationality, NATIONALITIES, now, 'NOT_ISO_3166');
  const ethnicity = v.reference('ethnicity', command.ethnicity, ETHNIC_GROUPS, now, 'UNKNOWN_ETHNICITY');
  const religion = v.reference('religion', command.religion, RELIGIONS, now, 'UNKNOWN_RELIGION');
  const fatherCitizenId = relative(v, 'fatherCitizenId', command.fatherCitizenId);
  const motherCitizenId = relative(v, 'motherCitizenId', command.motherCitizenId);
  const personalId = withoutNumber
    ? undefined
    : v.catching(() => parsePersonalId(command.personalId, { field: 'personalId', asOf: now }));
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
  return {
    personalId,
    name: name!,
    birthDate: birthDate!,
    sex: sex!,
    nationality: nationality!,
    ethnicity: ethnicity!,
    religion: religion!,
    birthPlace: birthPlace!,
    homeTown: homeTown!,
    permanentResidence,
    fatherCitizenId,
    motherCitizenId,
  };
}

function parseParents(command: Command<'RecordParents'>) {
  const v = new Violations();
  const fatherCitizenId = relative(v, 'fatherCitizenId', command.fatherCitizenId);
  const motherCitizenId = relative(v, 'motherCitizenId', command.motherCitizenId);
  if (fatherCitizenId === null && motherCitizenId === null && !v.any)
    v.add('fatherCitizenId', 'REQUIRED', 'name at least one parent');
  v.throwIfAny();
  return { fatherCitizenId, motherCitizenId };
}

function parseMaritalStatus(command: Command<'ChangeMaritalStatus'>) {
  const v = new Violations();
  const status = v.oneOf('status', command.status, MARITAL);
  const since = v.date('since', command.since, today(command));
  const spouse = relative(v, 'spouseCitizenId', command.spouseCitizenId);
  if (status === 'married' && spouse === null && !v.any)
    v.add('spouseCitizenId', 'REQUIRED', 'a marriage names the spouse');
  if (status !== undefined && status !== 'married' && spouse !== null)
    v.add('spouseCitizenId', 'NOT_ALLOWED', 'only a marriage names a spouse');
  v.throwIfAny();
  return { status: status!, since: since!, spouse };
}

function parseResidence(command: Command<'RegisterPermanentResidence'>) {
  const v = new Violations();
  const since = v.date('since', command.since, today(command));
  const address = since ? v.address('address', command.address, since) : undefined;
  v.throwIfAny();
  return { since: since!, address: address! };
}

function parseTemporaryResidence(command: Command<'RegisterTemporaryResidence'>) {
  const v = new Violations();
  const from = v.date('from', command.from, today(command));
  const until = command.until ? v.date('until', command.until, today(command), { allowFuture: true }) : null;
  if (from && until && !until.isAfter(from)) v.add('until', 'BEFORE_START', 'the end is not after the start');
  const address = from ? v.address('address', command.address, from) : undefined;
  v.throwIfAny();
  return { from: from!, until: until ?? null, address: address! };
}

/** A correction's field, reason and evidence, and the value in the field's shape (state-free checks). */
function parseCorrection(command: Command<'CorrectField'>, v: Violations) {
  const now = today(command);
  const field = v.oneOf('field', command.field, CORRECTABLE);
  const reason = v.text('reason', command.reason, MAX_LENGTH.reason);
  const evidenceRef = v.text('evidenceRef', command.evidenceRef, MAX_LENGTH.evidenceRef);
  const value = command.value;
  const text = typeof value === 'string' ? value : undefined;
  let corrected: CorrectableFields[CorrectableField] | undefined;
  switch (field) {
    case 'name':
      corrected = v.name('value', value as Partial<NameData>);
      break;
    case 'birthDate':
      corrected = v.date('value', text, now)?.toString();
      break;
    case 'sex':
      corrected = v.oneOf('value', text, SEXES);
      break;
    case 'ethnicity':
      corrected = v.reference('value', text, ETHNIC_GROUPS, now, 'UNKNOWN_ETHNICITY');
      break;
    case 'religion':
      corrected = v.reference('value', text, RELIGIONS, now, 'UNKNOWN_RELIGION');
      break;
    case 'nationality':
      corrected = v.reference('value', text, NATIONALITIES, now, 'NOT_ISO_3166');
      break;
    case 'homeTown':
      corrected = v.address('value', value as Partial<AddressData>, 'ever');
      break;
    case 'birthPlace':
      // The units in force on the birth date are checked against the record (`correct`).
      if (typeof value !== 'object' || value === null) v.add('value', 'REQUIRED', 'an address is required');
      break;
    case undefined:
      break;
  }
  return { field, reason, evidenceRef, corrected };
}

function parseRecoding(command: Command<'RecodeResidence'>) {
  const v = new Violations();
  const commune = v.commune('communeCode', command.communeCode, today(command));
  v.throwIfAny();
  return commune!;
}

function parseVerification(command: Command<'RecordVerification'>) {
  const v = new Violations();
  const verifiedBy = v.text('verifiedBy', command.verifiedBy, MAX_LENGTH.verifiedBy);
  const outcome = v.oneOf('outcome', command.outcome, ['confirmed', 'discrepancy'] as const);
  const note = v.optionalText('note', command.note, MAX_LENGTH.note);
  if (outcome === 'discrepancy' && note === '') v.add('note', 'REQUIRED', 'say what does not match');
  v.throwIfAny();
  return { verifiedBy: verifiedBy!, outcome: outcome!, note: note! };
}

/**
 * Judges a command's input without any state: every malformed, out-of-range or unknown value
 * (INVALID_ARGUMENT), all at once. What `decide` would refuse before looking at the record, so the
 * application refuses it before touching the database. A birth's number is drawn by the register
 * after this (`withoutNumber`).
 */
export function validate(command: CitizenCommand, options: { withoutNumber?: boolean } = {}): void {
  switch (command.type) {
    case 'RegisterCitizen':
      parseRegistration(command, options.withoutNumber ?? false);
      return;
    case 'ChangeName': {
      const v = new Violations();
      v.name('name', command.name);
      v.text('reason', command.reason, MAX_LENGTH.reason);
      v.throwIfAny();
      return;
    }
    case 'RegisterPermanentResidence':
      parseResidence(command);
      return;
    case 'RegisterTemporaryResidence':
      parseTemporaryResidence(command);
      return;
    case 'EndTemporaryResidence': {
      const v = new Violations();
      v.date('endedOn', command.endedOn, today(command));
      v.throwIfAny();
      return;
    }
    case 'RecordParents':
      parseParents(command);
      return;
    case 'ChangeMaritalStatus':
      parseMaritalStatus(command);
      return;
    case 'RecordDeath': {
      const v = new Violations();
      v.date('dateOfDeath', command.dateOfDeath, today(command));
      v.text('certificateRef', command.certificateRef, MAX_LENGTH.certificateRef);
      v.throwIfAny();
      return;
    }
    case 'CorrectField': {
      const v = new Violations();
      parseCorrection(command, v);
      v.throwIfAny();
      return;
    }
    case 'RecodeResidence':
      parseRecoding(command);
      return;
    case 'RecordVerification':
      parseVerification(command);
      return;
  }
}

/**
 * The rules a registration's facts must meet that depend on other records (its parents), judged
 * without its number: what the application checks before it claims a number for the record.
 * Throws as `decide` would.
 */
export function checkRegistration(
  command: Command<'RegisterCitizen'>,
  options: { withoutNumber?: boolean } = {},
): void {
  const facts = parseRegistration(command, options.withoutNumber ?? false);
  refuseIfAny(
    parentViolations(
      facts.birthDate,
      facts,
      relativesOf(command, [facts.fatherCitizenId, facts.motherCitizenId]),
      command.rules ?? DEFAULT_FAMILY_RULES,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Deciding: the input as above, then the record's state and the other records' (FAILED_PRECONDITION).
// ---------------------------------------------------------------------------------------------

function register(command: Command<'RegisterCitizen'>, state: CitizenState): CitizenEvent[] {
  if (state.status !== 'unregistered') throw new CitizenAlreadyRegisteredError();
  const now = today(command);
  const facts = parseRegistration(command, false);
  refuseIfAny(
    parentViolations(
      facts.birthDate,
      facts,
      relativesOf(command, [facts.fatherCitizenId, facts.motherCitizenId]),
      command.rules ?? DEFAULT_FAMILY_RULES,
    ),
  );
  const events: CitizenEvent[] = [
    {
      type: 'CitizenRegistered',
      data: {
        personalId: facts.personalId!.value,
        registration: command.registration,
        ...facts.name,
        birthDate: facts.birthDate.toString(),
        sex: facts.sex,
        nationality: facts.nationality,
        ethnicity: facts.ethnicity,
        religion: facts.religion,
        birthPlace: facts.birthPlace,
        homeTown: facts.homeTown,
        fatherCitizenId: facts.fatherCitizenId,
        motherCitizenId: facts.motherCitizenId,
        registeredOn: now.toString(),
      },
    },
  ];
  if (facts.permanentResidence) {
    events.push({
      type: 'PermanentResidenceRegistered',
      data: { address: facts.permanentResidence, since: now.toString() },
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

/** The number's contradictions with a corrected birth date, sex or birth place, as `value` violations. */
function agreesWithNumber(
  v: Violations,
  record: CitizenRecord,
  changed: Partial<Pick<CitizenRecord, 'birthDate' | 'sex' | 'birthPlace'>>,
): void {
  const found: readonly FieldViolation[] = parsePersonalId(record.personalId).validateAgainst({
    birthDate: CalendarDate.parse(changed.birthDate ?? record.birthDate),
    sex: changed.sex ?? record.sex,
    birthRegistrationProvinceCode: (changed.birthPlace ?? record.birthPlace).provinceCode,
  });
  for (const violation of found) v.add('value', violation.reason, violation.description);
}

function correct(command: Command<'CorrectField'>, state: CitizenState): CitizenEvent[] {
  const v = new Violations();
  const parsed = parseCorrection(command, v);
  v.throwIfAny();
  const record = registered(state).record;
  const field = parsed.field!;
  let corrected = parsed.corrected;
  switch (field) {
    case 'birthDate': {
      const date = CalendarDate.parse(corrected as string);
      if (record.dateOfDeath && date.isAfter(CalendarDate.parse(record.dateOfDeath)))
        v.add('value', 'AFTER_DEATH', 'a birth date is not after the recorded death');
      agreesWithNumber(v, record, { birthDate: date.toString() });
      break;
    }
    case 'sex':
      agreesWithNumber(v, record, { sex: corrected as Sex });
      break;
    case 'birthPlace':
      corrected = v.address(
        'value',
        command.value as Partial<AddressData>,
        CalendarDate.parse(record.birthDate),
      );
      if (corrected) agreesWithNumber(v, record, { birthPlace: corrected as AddressData });
      break;
    default:
      break;
  }
  v.throwIfAny();
  const previous = field === 'name' ? record.name : record[field];
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
        field,
        previous,
        corrected: corrected!,
        reason: parsed.reason!,
        evidenceRef: parsed.evidenceRef!,
      },
    },
  ];
}

function maritalStatus(command: Command<'ChangeMaritalStatus'>, state: CitizenState): CitizenEvent[] {
  const { status, since, spouse } = parseMaritalStatus(command);
  const record = alive(state, 'a marital status change');
  const v = new Violations();
  notBeforeBirth(v, 'since', since, record.birthDate);
  v.throwIfAny();
  const from = record.maritalStatus;
  const allowed: Record<MaritalStatus, readonly string[]> = {
    single: ['married'],
    married: ['divorced', 'widowed'],
    divorced: ['married'],
    widowed: ['married'],
  };
  if (!allowed[from].includes(status)) {
    throw new CitizenRuleViolationError('MARITAL_TRANSITION', `a ${from} citizen cannot become ${status}`);
  }
  if (status === 'married') {
    const relatives = relativesOf(command, [spouse]);
    refuseIfAny(
      marriageViolations(
        { citizenId: relatives.self, record },
        spouse!,
        since,
        relatives,
        command.rules ?? DEFAULT_FAMILY_RULES,
      ),
    );
  }
  return [
    {
      type: 'MaritalStatusChanged',
      data: { status, spouseCitizenId: spouse, since: since.toString() },
    },
  ];
}

/**
 * A clerk's choice of the commune of today for a permanent residence recorded in a commune the
 * reorganisation divided: one of its successors (or, where the data names none, a commune of the
 * province it lies in now). The recorded address is kept; the choice is an event in the history.
 */
function recode(command: Command<'RecodeResidence'>, state: CitizenState): CitizenEvent[] {
  const chosen = parseRecoding(command);
  const record = registered(state).record;
  const residence = record.permanentResidence;
  if (residence?.recodedTo) {
    throw new CitizenRuleViolationError('ALREADY_RECODED', 'the residence was already recoded');
  }
  const resolution = residence
    ? ADMINISTRATIVE_UNITS.resolveAddress(
        residence.communeCode,
        CalendarDate.parse(residence.since),
        today(command),
      )
    : undefined;
  if (!residence || resolution?.status !== 'needs-recoding') {
    throw new CitizenRuleViolationError(
      'NO_RECODING_NEEDED',
      'the permanent residence lies in one commune of today: there is nothing to choose',
    );
  }
  const allowed =
    resolution.reason === 'divided'
      ? resolution.candidates.some((c) => c.code === chosen.code)
      : resolution.province === undefined || resolution.province.code === chosen.provinceCode;
  if (!allowed) {
    throw new CitizenRuleViolationError(
      'NOT_A_SUCCESSOR',
      'the commune chosen is not one the recorded commune was divided among',
      'communeCode',
    );
  }
  return [
    {
      type: 'ResidenceRecoded',
      data: {
        recorded: { provinceCode: residence.provinceCode, communeCode: residence.communeCode },
        since: residence.since,
        provinceCode: chosen.provinceCode!,
        communeCode: chosen.code,
        recodedOn: today(command).toString(),
      },
    },
  ];
}

export function decide(command: CitizenCommand, state: CitizenState): CitizenEvent[] {
  switch (command.type) {
    case 'RegisterCitizen':
      return register(command, state);
    case 'ChangeName': {
      validate(command);
      const record = alive(state, 'a name change');
      const v = new Violations();
      const name = v.name('name', command.name)!;
      const reason = v.text('reason', command.reason, MAX_LENGTH.reason)!;
      if (JSON.stringify(name) === JSON.stringify(record.name)) return [];
      return [{ type: 'NameChanged', data: { ...name, reason, changedOn: today(command).toString() } }];
    }
    case 'RegisterPermanentResidence': {
      const { since, address } = parseResidence(command);
      const record = alive(state, 'a residence change');
      const v = new Violations();
      notBeforeBirth(v, 'since', since, record.birthDate);
      v.throwIfAny();
      if (sameAddress(record.permanentResidence, address)) return [];
      if (record.permanentResidence && since.isBefore(CalendarDate.parse(record.permanentResidence.since))) {
        throw new CitizenRuleViolationError(
          'BEFORE_CURRENT_RESIDENCE',
          'a new residence cannot start before the current one',
        );
      }
      return [{ type: 'PermanentResidenceRegistered', data: { address, since: since.toString() } }];
    }
    case 'RegisterTemporaryResidence': {
      const { from, until, address } = parseTemporaryResidence(command);
      const record = alive(state, 'a residence change');
      const v = new Violations();
      notBeforeBirth(v, 'from', from, record.birthDate);
      v.throwIfAny();
      if (sameAddress(record.permanentResidence, address)) {
        throw new CitizenRuleViolationError(
          'SAME_AS_PERMANENT',
          'a temporary residence differs from the permanent one',
        );
      }
      return [
        {
          type: 'TemporaryResidenceRegistered',
          data: { address, from: from.toString(), until: until ? until.toString() : null },
        },
      ];
    }
    case 'EndTemporaryResidence': {
      validate(command);
      const record = alive(state, 'a residence change');
      if (!record.temporaryResidence) {
        throw new CitizenRuleViolationError('NO_TEMPORARY_RESIDENCE', 'no temporary residence is registered');
      }
      const v = new Violations();
      const endedOn = v.date('endedOn', command.endedOn, today(command))!;
      if (endedOn.isBefore(CalendarDate.parse(record.temporaryResidence.from))) {
        v.add('endedOn', 'BEFORE_START', 'the end is before the residence started');
      }
      v.throwIfAny();
      return [{ type: 'TemporaryResidenceEnded', data: { endedOn: endedOn.toString() } }];
    }
    case 'RecordParents': {
      const parents = parseParents(command);
      const record = registered(state).record;
      refuseIfAny(
        parentViolations(
          CalendarDate.parse(record.birthDate),
          parents,
          relativesOf(command, [parents.fatherCitizenId, parents.motherCitizenId]),
          command.rules ?? DEFAULT_FAMILY_RULES,
        ),
      );
      return [{ type: 'ParentsRecorded', data: parents }];
    }
    case 'ChangeMaritalStatus':
      return maritalStatus(command, state);
    case 'RecordDeath': {
      validate(command);
      const record = alive(state, 'a death');
      const v = new Violations();
      const date = v.date('dateOfDeath', command.dateOfDeath, today(command))!;
      notBeforeBirth(v, 'dateOfDeath', date, record.birthDate);
      const certificateRef = v.text('certificateRef', command.certificateRef, MAX_LENGTH.certificateRef)!;
      v.throwIfAny();
      return [{ type: 'DeathRecorded', data: { dateOfDeath: date.toString(), certificateRef } }];
    }
    case 'CorrectField':
      return correct(command, state);
    case 'RecodeResidence':
      return recode(command, state);
    case 'RecordVerification': {
      const { verifiedBy, outcome, note } = parseVerification(command);
      registered(state);
      return [
        {
          type: 'VerificationRecorded',
          data: { verifiedBy, verifiedOn: today(command).toString(), outcome, note },
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
