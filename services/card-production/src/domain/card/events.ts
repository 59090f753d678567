import type { DomainEvent } from '@cancuoc/eventstore';

/**
 * The card job's events, one stream `card-<uuid>` per card. They hold no personal data beyond the
 * document number (which the card's integration event carries too): the register data and the
 * chip's files are kept encrypted beside the stream (see application/ports.ts, `CardVault`), and
 * instants are RFC 3339 strings, dates `YYYY-MM-DD`.
 */

/** Why the card is applied for, as enrollment said. */
export type ApplicationReason = 'first-issue' | 'renewal' | 'lost' | 'damaged' | 'personal-data-changed';

export type RevocationReason = 'lost' | 'stolen' | 'superseded' | 'damaged' | 'holder-deceased';

export type EncodingFailureReason =
  | 'chip-write-error'
  | 'chip-defective'
  | 'read-back-mismatch'
  | 'passive-authentication-failed'
  | 'data-unreadable'
  | 'station-fault';

/** Why a chip written for the job did not become the card (it must be destroyed). */
export type VoidReason =
  | 'LEASE_NOT_HELD'
  | 'DUPLICATE_COMPLETION'
  | 'READ_BACK_MISMATCH'
  | 'ENCODING_FAILED'
  | 'QUALITY_CHECK_FAILED'
  | 'CARD_CANCELLED'
  | 'REPRINTED';

/**
 * What a retry from manual handling does again: personalise (no usable chip data yet, or the
 * station refused the data) or encode (the data is good; the stations failed).
 */
export type ManualHandlingStage = 'personalisation' | 'encoding';

export interface PortraitReference {
  readonly reference: string;
  /** SHA-256 of the clear image, hex, as enrollment announced it. */
  readonly sha256: string;
  readonly mediaType: string;
}

export type CardRequested = DomainEvent<
  'CardRequested',
  {
    readonly cardId: string;
    readonly applicationId: string;
    readonly applicationVersion: number;
    readonly citizenId: string;
    readonly registryRecordVersion: number;
    readonly reason: ApplicationReason;
    readonly priority: number;
    readonly enrollmentStationId: string;
    readonly portrait: PortraitReference;
    readonly replacesCardId: string | null;
    readonly reprintOf: string | null;
    readonly requestedAt: string;
  }
>;

export interface DataGroupDigest {
  readonly dataGroup: number;
  readonly sha256: string;
}

export type CardPersonalised = DomainEvent<
  'CardPersonalised',
  {
    /** The 9 characters of the MRZ document number field. */
    readonly documentNumber: string;
    readonly issueDate: string;
    /** Null when the card does not expire (issued at or near the last renewal age). */
    readonly expiryDate: string | null;
    readonly validityRuleId: string;
    readonly mrzLayoutId: string;
    readonly dg13LayoutId: string;
    readonly dataGroups: readonly DataGroupDigest[];
    readonly sodSha256: string;
    /** What the station must read back: SHA-256 of EF.COM ‖ DG1 ‖ DG2 ‖ DG13 ‖ EF.SOD. */
    readonly chipImageSha256: string;
    readonly documentSignerKeyId: string;
    readonly personalisedAt: string;
  }
>;

export type CardQueued = DomainEvent<'CardQueued', { readonly queuedAt: string; readonly notBefore: string }>;

export type JobLeased = DomainEvent<
  'JobLeased',
  {
    readonly leaseId: string;
    readonly stationId: string;
    readonly leasedAt: string;
    readonly deadline: string;
    /** 1 for the job's first dispatch. */
    readonly attempt: number;
  }
>;

export type LeaseExtended = DomainEvent<
  'LeaseExtended',
  { readonly leaseId: string; readonly deadline: string }
>;

/** The job never reached the station (its stream broke before the send): not an attempt. */
export type LeaseReleased = DomainEvent<
  'LeaseReleased',
  { readonly leaseId: string; readonly releasedAt: string }
>;

export type LeaseExpired = DomainEvent<
  'LeaseExpired',
  { readonly leaseId: string; readonly expiredAt: string }
>;

export type CardEncoded = DomainEvent<
  'CardEncoded',
  {
    readonly leaseId: string;
    readonly stationId: string;
    readonly chipSerial: string;
    readonly encodedAt: string;
  }
>;

export type EncodingFailed = DomainEvent<
  'EncodingFailed',
  {
    readonly leaseId: string;
    readonly stationId: string;
    readonly reason: EncodingFailureReason;
    /** From the station, for operators; never personal data. */
    readonly detail: string;
    readonly failedAt: string;
  }
>;

export type ChipVoided = DomainEvent<
  'ChipVoided',
  {
    readonly leaseId: string;
    readonly chipSerial: string;
    readonly reason: VoidReason;
    readonly voidedAt: string;
  }
>;

export type QualityCheckPassed = DomainEvent<'QualityCheckPassed', { readonly checkedAt: string }>;

export type QualityCheckFailed = DomainEvent<
  'QualityCheckFailed',
  { readonly defects: readonly string[]; readonly checkedAt: string }
>;

export type ManualHandlingRequired = DomainEvent<
  'ManualHandlingRequired',
  {
    readonly stage: ManualHandlingStage;
    /** A stable code: `ATTEMPTS_EXHAUSTED`, `NOT_RETRYABLE`, `PORTRAIT_HASH_MISMATCH`, … */
    readonly reason: string;
    readonly detail: string;
    readonly since: string;
  }
>;

export type CardRetried = DomainEvent<'CardRetried', { readonly retriedAt: string }>;

export type CardShipped = DomainEvent<
  'CardShipped',
  { readonly shipmentId: string; readonly destinationUnitCode: string; readonly shippedAt: string }
>;

export type CardDelivered = DomainEvent<
  'CardDelivered',
  { readonly unitCode: string; readonly deliveredAt: string }
>;

export type CardActivated = DomainEvent<'CardActivated', { readonly activatedAt: string }>;

export type CardCancelled = DomainEvent<
  'CardCancelled',
  { readonly reason: string; readonly cancelledAt: string }
>;

export type CardRevoked = DomainEvent<
  'CardRevoked',
  { readonly reason: RevocationReason; readonly revokedAt: string }
>;

export type ReprintOrdered = DomainEvent<
  'ReprintOrdered',
  { readonly newCardId: string; readonly reason: RevocationReason; readonly orderedAt: string }
>;

export type CardEvent =
  | CardRequested
  | CardPersonalised
  | CardQueued
  | JobLeased
  | LeaseExtended
  | LeaseReleased
  | LeaseExpired
  | CardEncoded
  | EncodingFailed
  | ChipVoided
  | QualityCheckPassed
  | QualityCheckFailed
  | ManualHandlingRequired
  | CardRetried
  | CardShipped
  | CardDelivered
  | CardActivated
  | CardCancelled
  | CardRevoked
  | ReprintOrdered;

export type CardEventType = CardEvent['type'];
