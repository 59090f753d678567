import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ApplicationReason as ReasonProto,
  ApplicationStage,
  CardApplicationSchema,
  CardStatus,
  MaritalStatus,
  Sex,
  type ApplicationSummarySchema,
  type ApplicationViewSchema,
  type BiometricReferenceSchema,
  type CardApplication,
  type CitizenSchema,
  type PendingStepSchema,
  PipelineStep as StepProto,
} from '@cancuoc/proto';
import type { AddressData, CitizenData } from '../domain/application/citizen-data.js';
import type { ApplicationReason, BiometricRef } from '../domain/application/events.js';
import type { Application, Stage } from '../domain/application/state.js';
import { describeException } from '../domain/biometrics/fingers.js';
import type { ApplicationSummary, ApplicationView, PendingStepView } from '../application/read-model.js';

export const STAGE_TO_PROTO: Record<Stage, ApplicationStage> = {
  started: ApplicationStage.STARTED,
  capturing: ApplicationStage.CAPTURING,
  'duplicate-check': ApplicationStage.DUPLICATE_CHECK,
  adjudication: ApplicationStage.ADJUDICATION,
  review: ApplicationStage.REVIEW,
  submitted: ApplicationStage.SUBMITTED,
  completed: ApplicationStage.COMPLETED,
  rejected: ApplicationStage.REJECTED,
  cancelled: ApplicationStage.CANCELLED,
  blocked: ApplicationStage.BLOCKED,
};

export const STAGE_FROM_PROTO = new Map(
  Object.entries(STAGE_TO_PROTO).map(([stage, proto]) => [proto, stage as Stage]),
);

export const REASON_TO_PROTO: Record<ApplicationReason, ReasonProto> = {
  'first-issue': ReasonProto.FIRST_ISSUE,
  renewal: ReasonProto.RENEWAL,
  lost: ReasonProto.LOST,
  damaged: ReasonProto.DAMAGED,
  'personal-data-changed': ReasonProto.PERSONAL_DATA_CHANGED,
};

export const REASON_FROM_PROTO = new Map(
  Object.entries(REASON_TO_PROTO).map(([reason, proto]) => [proto, reason as ApplicationReason]),
);

const SEX_TO_PROTO: Record<CitizenData['sex'], Sex> = {
  unspecified: Sex.UNSPECIFIED,
  male: Sex.MALE,
  female: Sex.FEMALE,
};

const MARITAL_TO_PROTO: Record<CitizenData['maritalStatus'], MaritalStatus> = {
  unspecified: MaritalStatus.UNSPECIFIED,
  single: MaritalStatus.SINGLE,
  married: MaritalStatus.MARRIED,
  divorced: MaritalStatus.DIVORCED,
  widowed: MaritalStatus.WIDOWED,
};

const addressMessage = (a: AddressData | null) => (a ? { ...a } : undefined);

function citizenMessage(c: CitizenData): MessageInitShape<typeof CitizenSchema> {
  return {
    personalId: c.personalId,
    familyName: c.familyName,
    middleName: c.middleName,
    givenName: c.givenName,
    birthDate: c.birthDate,
    sex: SEX_TO_PROTO[c.sex],
    nationality: c.nationality,
    ethnicity: c.ethnicity,
    religion: c.religion,
    homeTown: addressMessage(c.homeTown),
    birthPlace: addressMessage(c.birthPlace),
    permanentResidence: addressMessage(c.permanentResidence),
    temporaryResidence: addressMessage(c.temporaryResidence),
    maritalStatus: MARITAL_TO_PROTO[c.maritalStatus],
    fatherCitizenId: c.fatherCitizenId,
    motherCitizenId: c.motherCitizenId,
    spouseCitizenId: c.spouseCitizenId,
    deathDate: c.deathDate,
    lastVerifiedDate: c.lastVerifiedDate,
  };
}

const reference = (
  ref: BiometricRef | null,
): MessageInitShape<typeof BiometricReferenceSchema> | undefined =>
  ref
    ? {
        reference: ref.reference,
        sha256: ref.sha256,
        mediaType: ref.mediaType,
        width: ref.width,
        height: ref.height,
      }
    : undefined;

/** The application as integration events and responses carry it: biometrics by reference only. */
export function cardApplication(applicationId: string, a: Application): CardApplication {
  return create(CardApplicationSchema, {
    applicationId,
    citizenId: a.citizen?.citizenId ?? '',
    registryRecordVersion: BigInt(a.citizen?.recordVersion ?? 0),
    citizen: a.citizen ? citizenMessage(a.citizen.data) : undefined,
    reason: REASON_TO_PROTO[a.reason],
    stage: STAGE_TO_PROTO[a.stage],
    stationId: a.stationId,
    priority: a.priority,
    face: reference(a.face),
    fingerprints: reference(a.fingerprints?.record ?? null),
    fingerprintExceptions: a.fingerprints?.exceptions.map(describeException) ?? [],
    startedAt: a.startedAt,
    stageEnteredAt: a.stageEnteredAt,
    submittedAt: a.submittedAt ?? '',
    startedBy: a.startedBy,
    approvedBy: a.approvedBy ?? '',
    closedReason: a.closedReason ?? '',
    replacesCardId: a.replacesCardId ?? '',
  });
}

const STEP_TO_PROTO = {
  'register-lookup': StepProto.REGISTER_LOOKUP,
  'duplicate-check': StepProto.DUPLICATE_CHECK,
};

function pendingStep(step: PendingStepView | null): MessageInitShape<typeof PendingStepSchema> | undefined {
  if (!step) return undefined;
  return {
    step: STEP_TO_PROTO[step.step],
    attempts: step.attempts,
    lastError: step.lastError ?? '',
    nextAttemptAt: step.nextAttemptAt.toISOString(),
    pendingSince: step.pendingSince.toISOString(),
    lastAttemptAt: step.lastAttemptAt?.toISOString() ?? '',
  };
}

const secondsSince = (since: string | Date, now: Date) =>
  BigInt(Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000)));

export function viewMessage(
  view: ApplicationView,
  now: Date,
): MessageInitShape<typeof ApplicationViewSchema> {
  return {
    application: cardApplication(view.applicationId, view.application),
    version: BigInt(view.version),
    secondsInStage: secondsSince(view.application.stageEnteredAt, now),
    pendingStep: pendingStep(view.pendingStep),
    duplicateCandidates: view.application.candidates.map((c) => ({ ...c })),
    cardId: view.cardId ?? '',
    cardStatus: view.cardStatus
      ? (CardStatus[view.cardStatus as keyof typeof CardStatus] ?? CardStatus.UNSPECIFIED)
      : CardStatus.UNSPECIFIED,
  };
}

export function summaryMessage(
  s: ApplicationSummary,
  now: Date,
): MessageInitShape<typeof ApplicationSummarySchema> {
  return {
    applicationId: s.applicationId,
    stationId: s.stationId,
    stage: STAGE_TO_PROTO[s.stage],
    reason: REASON_TO_PROTO[s.reason],
    startedAt: s.startedAt.toISOString(),
    stageEnteredAt: s.stageEnteredAt.toISOString(),
    secondsInStage: secondsSince(s.stageEnteredAt, now),
    pendingStep: pendingStep(s.pendingStep),
  };
}
