import type { MessageInitShape } from '@bufbuild/protobuf';
import { CardJobStatus, EncodingFailureReason, RevocationReason, type CardJobSchema } from '@cancuoc/proto';
import type { CardView } from '../application/card-queries.js';
import type {
  EncodingFailureReason as FailureReason,
  RevocationReason as Reason,
} from '../domain/card/events.js';
import { currentLease, type JobStatus } from '../domain/card/state.js';

export const STATUS_TO_PROTO: Readonly<Record<JobStatus, CardJobStatus>> = {
  personalising: CardJobStatus.PERSONALISING,
  queued: CardJobStatus.QUEUED,
  encoding: CardJobStatus.ENCODING,
  encoded: CardJobStatus.ENCODED,
  'quality-checked': CardJobStatus.QUALITY_CHECKED,
  shipped: CardJobStatus.SHIPPED,
  delivered: CardJobStatus.DELIVERED,
  activated: CardJobStatus.ACTIVATED,
  'manual-handling': CardJobStatus.MANUAL_HANDLING,
  cancelled: CardJobStatus.CANCELLED,
  revoked: CardJobStatus.REVOKED,
};

export const STATUS_FROM_PROTO: ReadonlyMap<CardJobStatus, JobStatus> = new Map(
  Object.entries(STATUS_TO_PROTO).map(([k, v]) => [v, k as JobStatus]),
);

export const REVOCATION_TO_PROTO: Readonly<Record<Reason, RevocationReason>> = {
  lost: RevocationReason.LOST,
  stolen: RevocationReason.STOLEN,
  superseded: RevocationReason.SUPERSEDED,
  damaged: RevocationReason.DAMAGED,
  'holder-deceased': RevocationReason.HOLDER_DECEASED,
};

export const REVOCATION_FROM_PROTO: ReadonlyMap<RevocationReason, Reason> = new Map(
  Object.entries(REVOCATION_TO_PROTO).map(([k, v]) => [v, k as Reason]),
);

export const FAILURE_FROM_PROTO: ReadonlyMap<EncodingFailureReason, FailureReason> = new Map([
  [EncodingFailureReason.CHIP_WRITE_ERROR, 'chip-write-error'],
  [EncodingFailureReason.CHIP_DEFECTIVE, 'chip-defective'],
  [EncodingFailureReason.READ_BACK_MISMATCH, 'read-back-mismatch'],
  [EncodingFailureReason.PASSIVE_AUTHENTICATION_FAILED, 'passive-authentication-failed'],
  [EncodingFailureReason.DATA_UNREADABLE, 'data-unreadable'],
  [EncodingFailureReason.STATION_FAULT, 'station-fault'],
]);

/** A card job as the operator API shows it. */
export function cardJobMessage(view: CardView, maxAttempts: number): MessageInitShape<typeof CardJobSchema> {
  const { job } = view;
  const lease = currentLease(job);
  const p = job.personalisation;
  return {
    cardId: view.cardId,
    applicationId: job.request.applicationId,
    citizenId: job.request.citizenId,
    status: STATUS_TO_PROTO[job.status],
    priority: job.request.priority,
    documentNumber: p?.documentNumber ?? '',
    issueDate: p?.issueDate ?? '',
    expiryDate: p?.expiryDate ?? '',
    expires: p ? p.expiryDate !== null : false,
    documentSignerKeyId: p?.documentSignerKeyId ?? '',
    sodSha256: p?.sodSha256 ?? '',
    attempts: job.attempts,
    maxAttempts,
    stationId: lease?.stationId ?? '',
    leaseId: lease?.leaseId ?? '',
    leaseDeadline: lease?.deadline ?? '',
    chipSerial: job.encoding?.chipSerial ?? '',
    voidedChips: job.voidedChips.map((v) => ({
      chipSerial: v.chipSerial,
      leaseId: v.leaseId,
      reason: v.reason,
      voidedAt: v.voidedAt,
    })),
    waitingReason: view.waitingReason ?? '',
    nextAttemptAt: view.nextAttemptAt?.toISOString() ?? '',
    revocationReason: job.revocation
      ? REVOCATION_TO_PROTO[job.revocation.reason]
      : RevocationReason.UNSPECIFIED,
    replacesCardId: job.request.replacesCardId ?? '',
    reprintOfCardId: job.request.reprintOf ?? '',
    reprintedAsCardId: job.reprintedAs ?? '',
    version: BigInt(view.version),
    requestedAt: job.request.requestedAt,
    changedAt: job.changedAt,
  };
}
