import type {
  CardEvent,
  CardPersonalised,
  CardRequested,
  ManualHandlingStage,
  RevocationReason,
  VoidReason,
} from './events.js';

export type JobStatus =
  | 'personalising'
  | 'queued'
  | 'encoding'
  | 'encoded'
  | 'quality-checked'
  | 'shipped'
  | 'delivered'
  | 'activated'
  | 'manual-handling'
  | 'cancelled'
  | 'revoked';

/** How a lease ended; `open` while it is the job's current lease. */
export type LeaseOutcome = 'open' | 'encoded' | 'failed' | 'expired' | 'released' | 'cancelled';

export interface LeaseRecord {
  readonly leaseId: string;
  readonly stationId: string;
  readonly attempt: number;
  readonly deadline: string;
  /** When the lease was granted (absent in states folded before it was recorded). */
  readonly leasedAt?: string;
  readonly outcome: LeaseOutcome;
  /** For a failed lease: where the failure sent the job. */
  readonly disposition?: 'requeued' | 'manual-handling';
}

export interface VoidedChip {
  readonly leaseId: string;
  readonly chipSerial: string;
  readonly reason: VoidReason;
  readonly voidedAt: string;
}

export interface CardJob {
  readonly status: JobStatus;
  readonly request: CardRequested['data'];
  readonly personalisation: CardPersonalised['data'] | null;
  /** Dispatches that ended without a card since the job was queued or last retried. */
  readonly attempts: number;
  /** Every dispatch ever made, for numbering them. */
  readonly dispatches: number;
  /** No dispatch before this instant (backoff after a failure). */
  readonly notBefore: string | null;
  readonly queuedAt: string | null;
  /** Every lease, by id, in the order granted; the last one is `open` while encoding. */
  readonly leases: Readonly<Record<string, LeaseRecord>>;
  readonly currentLeaseId: string | null;
  readonly encoding: {
    readonly leaseId: string;
    readonly stationId: string;
    readonly chipSerial: string;
    readonly encodedAt: string;
  } | null;
  readonly voidedChips: readonly VoidedChip[];
  readonly manualHandling: {
    readonly stage: ManualHandlingStage;
    readonly reason: string;
    readonly detail: string;
    readonly since: string;
  } | null;
  readonly shipment: { readonly shipmentId: string; readonly destinationUnitCode: string } | null;
  readonly deliveredAt: string | null;
  readonly activatedAt: string | null;
  readonly cancellationReason: string | null;
  readonly revocation: { readonly reason: RevocationReason; readonly revokedAt: string } | null;
  readonly reprintedAs: string | null;
  readonly changedAt: string;
}

export type CardState = { readonly status: 'none' } | CardJob;

export function initialState(): CardState {
  return { status: 'none' };
}

export function isJob(state: CardState): state is CardJob {
  return state.status !== 'none';
}

export function currentLease(job: CardJob): LeaseRecord | undefined {
  return job.currentLeaseId === null ? undefined : job.leases[job.currentLeaseId];
}

function endLease(
  job: CardJob,
  outcome: Exclude<LeaseOutcome, 'open'>,
  extra: Partial<LeaseRecord> = {},
): Pick<CardJob, 'leases' | 'currentLeaseId'> {
  const lease = currentLease(job);
  if (!lease) return { leases: job.leases, currentLeaseId: null };
  return {
    leases: { ...job.leases, [lease.leaseId]: { ...lease, outcome, ...extra } },
    currentLeaseId: null,
  };
}

function job(state: CardState): CardJob {
  if (!isJob(state)) throw new Error('card event before CardRequested');
  return state;
}

export function evolve(state: CardState, event: CardEvent): CardState {
  switch (event.type) {
    case 'CardRequested':
      return {
        status: 'personalising',
        request: event.data,
        personalisation: null,
        attempts: 0,
        dispatches: 0,
        notBefore: null,
        queuedAt: null,
        leases: {},
        currentLeaseId: null,
        encoding: null,
        voidedChips: [],
        manualHandling: null,
        shipment: null,
        deliveredAt: null,
        activatedAt: null,
        cancellationReason: null,
        revocation: null,
        reprintedAs: null,
        changedAt: event.data.requestedAt,
      };
    case 'CardPersonalised':
      return { ...job(state), personalisation: event.data, changedAt: event.data.personalisedAt };
    case 'CardQueued': {
      const j = job(state);
      return {
        ...j,
        leases: settleFailure(j, 'requeued'),
        status: 'queued',
        queuedAt: event.data.queuedAt,
        notBefore: event.data.notBefore,
        manualHandling: null,
        changedAt: event.data.queuedAt,
      };
    }
    case 'JobLeased': {
      const j = job(state);
      const { leaseId, stationId, attempt, deadline, leasedAt } = event.data;
      return {
        ...j,
        status: 'encoding',
        dispatches: attempt,
        leases: {
          ...j.leases,
          [leaseId]: { leaseId, stationId, attempt, deadline, leasedAt, outcome: 'open' },
        },
        currentLeaseId: leaseId,
        changedAt: event.data.leasedAt,
      };
    }
    case 'LeaseExtended': {
      const j = job(state);
      const lease = j.leases[event.data.leaseId]!;
      return { ...j, leases: { ...j.leases, [lease.leaseId]: { ...lease, deadline: event.data.deadline } } };
    }
    case 'LeaseReleased': {
      const j = job(state);
      // Never delivered, so not an attempt: the dispatch number is given back too.
      return {
        ...j,
        ...endLease(j, 'released'),
        dispatches: j.dispatches - 1,
        changedAt: event.data.releasedAt,
      };
    }
    case 'LeaseExpired': {
      const j = job(state);
      return { ...j, ...endLease(j, 'expired'), attempts: j.attempts + 1, changedAt: event.data.expiredAt };
    }
    case 'CardEncoded': {
      const j = job(state);
      const { leaseId, stationId, chipSerial, encodedAt } = event.data;
      return {
        ...j,
        ...endLease(j, 'encoded'),
        status: 'encoded',
        encoding: { leaseId, stationId, chipSerial, encodedAt },
        changedAt: encodedAt,
      };
    }
    case 'EncodingFailed': {
      const j = job(state);
      return { ...j, ...endLease(j, 'failed'), attempts: j.attempts + 1, changedAt: event.data.failedAt };
    }
    case 'ChipVoided': {
      const j = job(state);
      return { ...j, voidedChips: [...j.voidedChips, event.data] };
    }
    case 'QualityCheckPassed':
      return { ...job(state), status: 'quality-checked', changedAt: event.data.checkedAt };
    case 'QualityCheckFailed': {
      const j = job(state);
      // The card body is spoiled: it counts as a failed attempt and the job is encoded afresh.
      return { ...j, encoding: null, attempts: j.attempts + 1, changedAt: event.data.checkedAt };
    }
    case 'ManualHandlingRequired': {
      const j = job(state);
      const { stage, reason, detail, since } = event.data;
      return {
        ...j,
        leases: settleFailure(j, 'manual-handling'),
        status: 'manual-handling',
        manualHandling: { stage, reason, detail, since },
        changedAt: since,
      };
    }
    case 'CardRetried': {
      const j = job(state);
      const stage = j.manualHandling?.stage ?? 'encoding';
      return {
        ...j,
        status: stage === 'personalisation' ? 'personalising' : j.status,
        attempts: 0,
        manualHandling: stage === 'personalisation' ? null : j.manualHandling,
        changedAt: event.data.retriedAt,
      };
    }
    case 'CardShipped':
      return {
        ...job(state),
        status: 'shipped',
        shipment: { shipmentId: event.data.shipmentId, destinationUnitCode: event.data.destinationUnitCode },
        changedAt: event.data.shippedAt,
      };
    case 'CardDelivered':
      return {
        ...job(state),
        status: 'delivered',
        deliveredAt: event.data.deliveredAt,
        changedAt: event.data.deliveredAt,
      };
    case 'CardActivated':
      return {
        ...job(state),
        status: 'activated',
        activatedAt: event.data.activatedAt,
        changedAt: event.data.activatedAt,
      };
    case 'CardCancelled': {
      const j = job(state);
      return {
        ...j,
        ...endLease(j, 'cancelled'),
        status: 'cancelled',
        cancellationReason: event.data.reason,
        changedAt: event.data.cancelledAt,
      };
    }
    case 'CardRevoked':
      return {
        ...job(state),
        status: 'revoked',
        revocation: { reason: event.data.reason, revokedAt: event.data.revokedAt },
        changedAt: event.data.revokedAt,
      };
    case 'ReprintOrdered':
      return { ...job(state), reprintedAs: event.data.newCardId };
    default: {
      const unknown: never = event;
      throw new Error(`unknown card event ${(unknown as CardEvent).type}`);
    }
  }
}

/**
 * A failed lease learns where its failure sent the job (back to the queue, or to an operator), so
 * that a repeated FailJob for it is answered as the first one was.
 */
function settleFailure(j: CardJob, disposition: 'requeued' | 'manual-handling'): CardJob['leases'] {
  const last = Object.values(j.leases).at(-1);
  if (!last || last.outcome !== 'failed' || last.disposition) return j.leases;
  return { ...j.leases, [last.leaseId]: { ...last, disposition } };
}
