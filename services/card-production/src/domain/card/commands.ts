import type { CardPersonalised, CardRequested, EncodingFailureReason, RevocationReason } from './events.js';

/** Every command carries `now` (RFC 3339): the decider has no clock of its own. */
interface At {
  readonly now: string;
}

export type RequestCard = At & { readonly type: 'RequestCard'; readonly request: CardRequested['data'] };

export type RecordPersonalisation = At & {
  readonly type: 'RecordPersonalisation';
  readonly personalisation: CardPersonalised['data'];
};

/** Personalisation cannot succeed as things stand (a wrong portrait, unusable register data). */
export type FailPersonalisation = At & {
  readonly type: 'FailPersonalisation';
  readonly reason: string;
  readonly detail: string;
};

export type LeaseJob = At & {
  readonly type: 'LeaseJob';
  readonly leaseId: string;
  readonly stationId: string;
};

export type ReleaseLease = At & { readonly type: 'ReleaseLease'; readonly leaseId: string };

export type ExtendLease = At & {
  readonly type: 'ExtendLease';
  readonly leaseId: string;
  readonly until: string;
};

export type ExpireLease = At & { readonly type: 'ExpireLease'; readonly leaseId: string };

export type CompleteEncoding = At & {
  readonly type: 'CompleteEncoding';
  readonly leaseId: string;
  readonly stationId: string;
  readonly chipSerial: string;
  readonly readBackSha256: string;
};

export type FailEncoding = At & {
  readonly type: 'FailEncoding';
  readonly leaseId: string;
  readonly stationId: string;
  readonly reason: EncodingFailureReason;
  readonly detail: string;
  /** A chip the attempt spoiled, if one was written. */
  readonly chipSerial: string | null;
};

export type RecordQualityCheck = At & {
  readonly type: 'RecordQualityCheck';
  readonly passed: boolean;
  readonly defects: readonly string[];
};

export type ShipCard = At & {
  readonly type: 'ShipCard';
  readonly shipmentId: string;
  readonly destinationUnitCode: string;
};

export type DeliverCard = At & { readonly type: 'DeliverCard'; readonly unitCode: string };

export type ActivateCard = At & { readonly type: 'ActivateCard' };

export type RevokeCard = At & { readonly type: 'RevokeCard'; readonly reason: RevocationReason };

export type CancelCard = At & { readonly type: 'CancelCard'; readonly reason: string };

export type RetryCard = At & { readonly type: 'RetryCard' };

export type OrderReprint = At & {
  readonly type: 'OrderReprint';
  readonly newCardId: string;
  readonly reason: RevocationReason;
};

export type CardCommand =
  | RequestCard
  | RecordPersonalisation
  | FailPersonalisation
  | LeaseJob
  | ReleaseLease
  | ExtendLease
  | ExpireLease
  | CompleteEncoding
  | FailEncoding
  | RecordQualityCheck
  | ShipCard
  | DeliverCard
  | ActivateCard
  | RevokeCard
  | CancelCard
  | RetryCard
  | OrderReprint;
