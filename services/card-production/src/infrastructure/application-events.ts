import type { Address, CardApplicationChanged } from '@cancuoc/proto';
import { ApplicationReason, ApplicationStage, Sex } from '@cancuoc/proto';
import { PoisonRecordError } from '@cancuoc/messaging';
import type { ApplicationChange } from '../application/application-intake.js';
import type { ApplicationReason as Reason } from '../domain/card/events.js';
import type { RegisterAddress } from '../domain/personalisation/card-contents.js';

const REASONS: Partial<Record<ApplicationReason, Reason>> = {
  [ApplicationReason.FIRST_ISSUE]: 'first-issue',
  [ApplicationReason.RENEWAL]: 'renewal',
  [ApplicationReason.LOST]: 'lost',
  [ApplicationReason.DAMAGED]: 'damaged',
  [ApplicationReason.PERSONAL_DATA_CHANGED]: 'personal-data-changed',
};

function stage(value: ApplicationStage): ApplicationChange['stage'] {
  switch (value) {
    case ApplicationStage.SUBMITTED:
      return 'submitted';
    case ApplicationStage.CANCELLED:
      return 'cancelled';
    case ApplicationStage.REJECTED:
      return 'rejected';
    default:
      return 'other';
  }
}

const address = (a: Address | undefined): RegisterAddress | null =>
  a ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail } : null;

/**
 * `cancuoc.events.v1.CardApplicationChanged` in card production's terms. A record without an
 * application id cannot be acted on at all and goes to the dead-letter topic; anything else that is
 * missing is judged by the intake, where operators see it.
 */
export function applicationChange(event: CardApplicationChanged): ApplicationChange {
  const app = event.application;
  if (!event.applicationId || !app || app.applicationId !== event.applicationId) {
    throw new PoisonRecordError('CardApplicationChanged without a consistent application id');
  }
  const c = app.citizen;
  const face = app.face;
  return {
    applicationId: event.applicationId,
    applicationVersion: Number(event.applicationVersion),
    stage: stage(app.stage),
    citizenId: app.citizenId,
    registryRecordVersion: Number(app.registryRecordVersion),
    reason: REASONS[app.reason] ?? 'first-issue',
    priority: app.priority,
    stationId: app.stationId,
    portrait: face?.reference
      ? { reference: face.reference, sha256: face.sha256, mediaType: face.mediaType }
      : null,
    registerData: c
      ? {
          personalId: c.personalId,
          familyName: c.familyName,
          middleName: c.middleName,
          givenName: c.givenName,
          birthDate: c.birthDate,
          sex: c.sex === Sex.MALE ? 'male' : c.sex === Sex.FEMALE ? 'female' : undefined,
          nationality: c.nationality,
          ethnicity: c.ethnicity,
          religion: c.religion,
          homeTown: address(c.homeTown),
          permanentResidence: address(c.permanentResidence),
        }
      : null,
    replacesCardId: app.replacesCardId || null,
  };
}
