import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ChangeKind,
  CitizenRecordChangedSchema,
  CitizenSchema,
  MaritalStatus,
  Sex,
  type Citizen,
  type CitizenRecordChanged,
} from '@cancuoc/proto';
import type { AddressData, CitizenEventType } from '../domain/citizen/events.js';
import type { CitizenRecord } from '../domain/citizen/state.js';

const SEX = { male: Sex.MALE, female: Sex.FEMALE } as const;
const MARITAL = {
  single: MaritalStatus.SINGLE,
  married: MaritalStatus.MARRIED,
  divorced: MaritalStatus.DIVORCED,
  widowed: MaritalStatus.WIDOWED,
} as const;
const CHANGE: Record<CitizenEventType, ChangeKind> = {
  CitizenRegistered: ChangeKind.REGISTERED,
  NameChanged: ChangeKind.NAME_CHANGED,
  PermanentResidenceRegistered: ChangeKind.PERMANENT_RESIDENCE_CHANGED,
  TemporaryResidenceRegistered: ChangeKind.TEMPORARY_RESIDENCE_CHANGED,
  TemporaryResidenceEnded: ChangeKind.TEMPORARY_RESIDENCE_CHANGED,
  ParentsRecorded: ChangeKind.RELATIONSHIPS_CHANGED,
  MaritalStatusChanged: ChangeKind.MARITAL_STATUS_CHANGED,
  DeathRecorded: ChangeKind.DIED,
  FieldCorrected: ChangeKind.CORRECTED,
  VerificationRecorded: ChangeKind.VERIFIED,
  ResidenceRecoded: ChangeKind.RESIDENCE_RECODED,
};

const address = (a: AddressData | null | undefined) =>
  a ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail } : undefined;

/** The record in the contract's shape (cancuoc.events.v1.Citizen). */
export function citizenMessage(record: CitizenRecord): Citizen {
  const init: MessageInitShape<typeof CitizenSchema> = {
    personalId: record.personalId,
    familyName: record.name.familyName,
    middleName: record.name.middleName,
    givenName: record.name.givenName,
    birthDate: record.birthDate,
    sex: SEX[record.sex],
    nationality: record.nationality,
    ethnicity: record.ethnicity,
    religion: record.religion,
    homeTown: address(record.homeTown),
    birthPlace: address(record.birthPlace),
    permanentResidence: address(record.permanentResidence),
    temporaryResidence: address(record.temporaryResidence?.address),
    maritalStatus: MARITAL[record.maritalStatus],
    fatherCitizenId: record.fatherCitizenId ?? '',
    motherCitizenId: record.motherCitizenId ?? '',
    spouseCitizenId: record.spouseCitizenId ?? '',
    deathDate: record.dateOfDeath ?? '',
    lastVerifiedDate: record.lastVerifiedOn ?? '',
  };
  return create(CitizenSchema, init);
}

export function recordChanged(
  citizenId: string,
  version: number,
  change: CitizenEventType,
  record: CitizenRecord,
): CitizenRecordChanged {
  return create(CitizenRecordChangedSchema, {
    citizenId,
    recordVersion: BigInt(version),
    changeKind: CHANGE[change],
    citizen: citizenMessage(record),
  });
}

export const SEX_FROM_PROTO: Partial<Record<Sex, 'male' | 'female'>> = {
  [Sex.MALE]: 'male',
  [Sex.FEMALE]: 'female',
};
export const MARITAL_FROM_PROTO: Partial<Record<MaritalStatus, CitizenRecord['maritalStatus']>> = {
  [MaritalStatus.SINGLE]: 'single',
  [MaritalStatus.MARRIED]: 'married',
  [MaritalStatus.DIVORCED]: 'divorced',
  [MaritalStatus.WIDOWED]: 'widowed',
};
