import type { AddressData, CitizenEvent, MaritalStatus, NameData, Sex } from './events.js';

/** The units of today a clerk chose for a residence recorded in a divided commune, and when. */
export interface RecodedUnits {
  readonly provinceCode: string;
  readonly communeCode: string;
  readonly on: string;
}

export interface TemporaryResidence {
  readonly address: AddressData;
  readonly from: string;
  readonly until: string | null;
}

/** A citizen's record as the aggregate needs it to decide; `undefined` fields are not recorded yet. */
export interface CitizenRecord {
  readonly personalId: string;
  readonly name: NameData;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly nationality: string;
  readonly ethnicity: string;
  readonly religion: string;
  readonly birthPlace: AddressData;
  readonly homeTown: AddressData;
  /**
   * As recorded, with the units of its date; `recodedTo` once a clerk chose which of a divided
   * commune's successors it lies in (the recorded units are kept beside it).
   */
  readonly permanentResidence:
    (AddressData & { readonly since: string; readonly recodedTo?: RecodedUnits }) | null;
  readonly temporaryResidence: TemporaryResidence | null;
  readonly fatherCitizenId: string | null;
  readonly motherCitizenId: string | null;
  readonly maritalStatus: MaritalStatus;
  readonly spouseCitizenId: string | null;
  readonly dateOfDeath: string | null;
  readonly lastVerifiedOn: string | null;
  readonly lastVerificationOutcome: 'confirmed' | 'discrepancy' | null;
  readonly registeredOn: string;
}

export type CitizenState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'alive' | 'deceased'; readonly record: CitizenRecord };

export const initialState = (): CitizenState => ({ status: 'unregistered' });

export function evolve(state: CitizenState, event: CitizenEvent): CitizenState {
  if (event.type === 'CitizenRegistered') {
    const d = event.data;
    return {
      status: 'alive',
      record: {
        personalId: d.personalId,
        name: { familyName: d.familyName, middleName: d.middleName, givenName: d.givenName },
        birthDate: d.birthDate,
        sex: d.sex,
        nationality: d.nationality,
        ethnicity: d.ethnicity,
        religion: d.religion,
        birthPlace: d.birthPlace,
        homeTown: d.homeTown,
        permanentResidence: null,
        temporaryResidence: null,
        fatherCitizenId: d.fatherCitizenId,
        motherCitizenId: d.motherCitizenId,
        maritalStatus: 'single',
        spouseCitizenId: null,
        dateOfDeath: null,
        lastVerifiedOn: null,
        lastVerificationOutcome: null,
        registeredOn: d.registeredOn,
      },
    };
  }
  if (state.status === 'unregistered') return state;
  const r = state.record;
  switch (event.type) {
    case 'NameChanged':
      return {
        ...state,
        record: {
          ...r,
          name: {
            familyName: event.data.familyName,
            middleName: event.data.middleName,
            givenName: event.data.givenName,
          },
        },
      };
    case 'PermanentResidenceRegistered':
      return {
        ...state,
        record: { ...r, permanentResidence: { ...event.data.address, since: event.data.since } },
      };
    case 'ResidenceRecoded':
      if (!r.permanentResidence) return state;
      return {
        ...state,
        record: {
          ...r,
          permanentResidence: {
            ...r.permanentResidence,
            recodedTo: {
              provinceCode: event.data.provinceCode,
              communeCode: event.data.communeCode,
              on: event.data.recodedOn,
            },
          },
        },
      };
    case 'TemporaryResidenceRegistered':
      return { ...state, record: { ...r, temporaryResidence: { ...event.data } } };
    case 'TemporaryResidenceEnded':
      return { ...state, record: { ...r, temporaryResidence: null } };
    case 'ParentsRecorded':
      return { ...state, record: { ...r, ...event.data } };
    case 'MaritalStatusChanged':
      return {
        ...state,
        record: { ...r, maritalStatus: event.data.status, spouseCitizenId: event.data.spouseCitizenId },
      };
    case 'DeathRecorded':
      return { status: 'deceased', record: { ...r, dateOfDeath: event.data.dateOfDeath } };
    case 'FieldCorrected':
      return { ...state, record: applyCorrection(r, event.data.field, event.data.corrected) };
    case 'VerificationRecorded':
      return {
        ...state,
        record: { ...r, lastVerifiedOn: event.data.verifiedOn, lastVerificationOutcome: event.data.outcome },
      };
  }
}

function applyCorrection(r: CitizenRecord, field: string, value: unknown): CitizenRecord {
  switch (field) {
    case 'name':
      return { ...r, name: value as NameData };
    case 'birthDate':
      return { ...r, birthDate: value as string };
    case 'sex':
      return { ...r, sex: value as Sex };
    case 'ethnicity':
      return { ...r, ethnicity: value as string };
    case 'religion':
      return { ...r, religion: value as string };
    case 'nationality':
      return { ...r, nationality: value as string };
    case 'homeTown':
      return { ...r, homeTown: value as AddressData };
    case 'birthPlace':
      return { ...r, birthPlace: value as AddressData };
    default:
      return r;
  }
}
