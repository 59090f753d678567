import type { Decider } from '@cancuoc/eventstore';
import type { CardCommand, CompleteEncoding, FailEncoding } from './commands.js';
import {
  CardNotFoundError,
  CardRuleViolationError,
  LeaseOfAnotherStationError,
  UnknownLeaseError,
} from './errors.js';
import type { CardEvent, EncodingFailureReason, VoidReason } from './events.js';
import {
  currentLease,
  evolve,
  initialState,
  isJob,
  type CardJob,
  type CardState,
  type LeaseRecord,
} from './state.js';
import { validateCommand } from './validation.js';

/** How hard card production tries before it asks an operator, and how long a lease lasts. */
export interface CardPolicy {
  /** Dispatches that may end without a card (failure, expired lease, failed check) before manual handling. */
  readonly maxAttempts: number;
  readonly leaseMs: number;
  /** Wait before the n-th retry: this, doubled per attempt, at most `maxRetryBackoffMs`. */
  readonly retryBackoffMs: number;
  readonly maxRetryBackoffMs: number;
}

/** Failures that say our chip data is at fault: dispatching the same files again cannot help. */
const DATA_REFUSED: ReadonlySet<EncodingFailureReason> = new Set([
  'passive-authentication-failed',
  'data-unreadable',
]);
const REPRINT_OF_SHIPPED: ReadonlySet<string> = new Set(['lost', 'stolen', 'damaged']);

const later = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();

function existing(state: CardState): CardJob {
  if (!isJob(state)) throw new CardNotFoundError();
  return state;
}

function refuse(reason: string, description: string): never {
  throw new CardRuleViolationError(reason, description);
}

/** The lease a station names, which must be one the job granted to that very station. */
function stationLease(job: CardJob, command: CompleteEncoding | FailEncoding): LeaseRecord {
  const lease = job.leases[command.leaseId];
  if (!lease) throw new UnknownLeaseError();
  if (lease.stationId !== command.stationId) throw new LeaseOfAnotherStationError();
  return lease;
}

/** A chip the job will not use, recorded once so that it is accounted for and destroyed. */
function voidChip(
  job: CardJob,
  leaseId: string,
  chipSerial: string,
  reason: VoidReason,
  now: string,
): CardEvent[] {
  if (job.voidedChips.some((v) => v.leaseId === leaseId && v.chipSerial === chipSerial)) return [];
  return [{ type: 'ChipVoided', data: { leaseId, chipSerial, reason, voidedAt: now } }];
}

export function cardDecider(policy: CardPolicy): Decider<CardState, CardCommand, CardEvent> {
  /** After a dispatch that produced no card: back in the queue after a backoff, or to an operator. */
  function requeueOrStop(attempts: number, now: string, detail: string): CardEvent[] {
    if (attempts >= policy.maxAttempts) {
      return [
        {
          type: 'ManualHandlingRequired',
          data: { stage: 'encoding', reason: 'ATTEMPTS_EXHAUSTED', detail, since: now },
        },
      ];
    }
    const wait = Math.min(policy.retryBackoffMs * 2 ** (attempts - 1), policy.maxRetryBackoffMs);
    return [{ type: 'CardQueued', data: { queuedAt: now, notBefore: later(now, wait) } }];
  }

  function complete(job: CardJob, command: CompleteEncoding): CardEvent[] {
    const lease = stationLease(job, command);
    const { now, chipSerial } = command;
    if (job.encoding?.leaseId === lease.leaseId) {
      return job.encoding.chipSerial === chipSerial
        ? []
        : voidChip(job, lease.leaseId, chipSerial, 'DUPLICATE_COMPLETION', now);
    }
    if (job.currentLeaseId !== lease.leaseId)
      return voidChip(job, lease.leaseId, chipSerial, 'LEASE_NOT_HELD', now);
    if (command.readBackSha256 === job.personalisation!.chipImageSha256) {
      return [
        {
          type: 'CardEncoded',
          data: { leaseId: lease.leaseId, stationId: lease.stationId, chipSerial, encodedAt: now },
        },
      ];
    }
    return [
      {
        type: 'EncodingFailed',
        data: {
          leaseId: lease.leaseId,
          stationId: lease.stationId,
          reason: 'read-back-mismatch',
          detail: 'the read-back hash is not the hash of the files sent',
          failedAt: now,
        },
      },
      ...voidChip(job, lease.leaseId, chipSerial, 'READ_BACK_MISMATCH', now),
      ...requeueOrStop(job.attempts + 1, now, 'read-back mismatch on the last attempt'),
    ];
  }

  function fail(job: CardJob, command: FailEncoding): CardEvent[] {
    const lease = stationLease(job, command);
    const { now, chipSerial } = command;
    if (job.currentLeaseId !== lease.leaseId) {
      return chipSerial === null ? [] : voidChip(job, lease.leaseId, chipSerial, 'LEASE_NOT_HELD', now);
    }
    const events: CardEvent[] = [
      {
        type: 'EncodingFailed',
        data: {
          leaseId: lease.leaseId,
          stationId: lease.stationId,
          reason: command.reason,
          detail: command.detail,
          failedAt: now,
        },
      },
      ...(chipSerial === null ? [] : voidChip(job, lease.leaseId, chipSerial, 'ENCODING_FAILED', now)),
    ];
    if (DATA_REFUSED.has(command.reason)) {
      // Retrying means personalising again, so the job goes back to that stage.
      events.push({
        type: 'ManualHandlingRequired',
        data: { stage: 'personalisation', reason: 'CHIP_DATA_REFUSED', detail: command.reason, since: now },
      });
      return events;
    }
    return [...events, ...requeueOrStop(job.attempts + 1, now, `last failure: ${command.reason}`)];
  }

  function decide(command: CardCommand, state: CardState): CardEvent[] {
    validateCommand(command);
    const { now } = command;
    switch (command.type) {
      case 'RequestCard':
        return isJob(state) ? [] : [{ type: 'CardRequested', data: command.request }];
      case 'RecordPersonalisation': {
        // A personalisation that lost the race, or outlived a cancellation, has nothing to record.
        if (existing(state).status !== 'personalising') return [];
        return [
          { type: 'CardPersonalised', data: command.personalisation },
          { type: 'CardQueued', data: { queuedAt: now, notBefore: now } },
        ];
      }
      case 'FailPersonalisation':
        if (existing(state).status !== 'personalising') return [];
        return [
          {
            type: 'ManualHandlingRequired',
            data: { stage: 'personalisation', reason: command.reason, detail: command.detail, since: now },
          },
        ];
      case 'LeaseJob': {
        const job = existing(state);
        if (job.status !== 'queued') refuse('NOT_QUEUED', 'the job is not waiting in the queue');
        if (job.notBefore !== null && job.notBefore > now)
          refuse('IN_BACKOFF', 'the job waits before its next attempt');
        return [
          {
            type: 'JobLeased',
            data: {
              leaseId: command.leaseId,
              stationId: command.stationId,
              leasedAt: now,
              deadline: later(now, policy.leaseMs),
              attempt: job.dispatches + 1,
            },
          },
        ];
      }
      case 'ReleaseLease': {
        const job = existing(state);
        if (job.currentLeaseId !== command.leaseId) return [];
        return [
          { type: 'LeaseReleased', data: { leaseId: command.leaseId, releasedAt: now } },
          { type: 'CardQueued', data: { queuedAt: now, notBefore: now } },
        ];
      }
      case 'ExtendLease': {
        const lease = currentLease(existing(state));
        if (lease?.leaseId !== command.leaseId || command.until <= lease.deadline) return [];
        return [{ type: 'LeaseExtended', data: { leaseId: command.leaseId, deadline: command.until } }];
      }
      case 'ExpireLease': {
        const job = existing(state);
        const lease = currentLease(job);
        if (lease?.leaseId !== command.leaseId || lease.deadline > now) return [];
        return [
          { type: 'LeaseExpired', data: { leaseId: lease.leaseId, expiredAt: now } },
          ...requeueOrStop(job.attempts + 1, now, 'the last lease expired'),
        ];
      }
      case 'CompleteEncoding':
        return complete(existing(state), command);
      case 'FailEncoding':
        return fail(existing(state), command);
      case 'RecordQualityCheck': {
        const job = existing(state);
        if (job.status === 'quality-checked' && command.passed) return [];
        if (job.status !== 'encoded') refuse('NOT_ENCODED', 'only an encoded card can be quality-checked');
        if (command.passed) return [{ type: 'QualityCheckPassed', data: { checkedAt: now } }];
        const { leaseId, chipSerial } = job.encoding!;
        return [
          { type: 'QualityCheckFailed', data: { defects: command.defects, checkedAt: now } },
          ...voidChip(job, leaseId, chipSerial, 'QUALITY_CHECK_FAILED', now),
          ...requeueOrStop(job.attempts + 1, now, `quality check failed: ${command.defects.join(', ')}`),
        ];
      }
      case 'ShipCard': {
        const job = existing(state);
        if (job.shipment) {
          if (job.shipment.shipmentId === command.shipmentId) return [];
          refuse('ALREADY_SHIPPED', 'the card was shipped in another shipment');
        }
        if (job.status !== 'quality-checked')
          refuse('NOT_QUALITY_CHECKED', 'only a quality-checked card can be shipped');
        return [
          {
            type: 'CardShipped',
            data: {
              shipmentId: command.shipmentId,
              destinationUnitCode: command.destinationUnitCode,
              shippedAt: now,
            },
          },
        ];
      }
      case 'DeliverCard': {
        const job = existing(state);
        if (job.deliveredAt !== null) return [];
        if (job.status !== 'shipped') refuse('NOT_SHIPPED', 'only a shipped card can be delivered');
        return [{ type: 'CardDelivered', data: { unitCode: command.unitCode, deliveredAt: now } }];
      }
      case 'ActivateCard': {
        const job = existing(state);
        if (job.status === 'activated') return [];
        if (job.status !== 'delivered') refuse('NOT_DELIVERED', 'only a delivered card can be activated');
        return [{ type: 'CardActivated', data: { activatedAt: now } }];
      }
      case 'RevokeCard': {
        const job = existing(state);
        if (job.revocation) {
          if (job.revocation.reason === command.reason) return [];
          refuse('ALREADY_REVOKED', 'the card is already revoked for another reason');
        }
        if (!['shipped', 'delivered', 'activated'].includes(job.status)) {
          refuse('NOT_ISSUED', 'only a shipped card can be revoked; cancel one that was not shipped');
        }
        return [{ type: 'CardRevoked', data: { reason: command.reason, revokedAt: now } }];
      }
      case 'CancelCard': {
        const job = existing(state);
        switch (job.status) {
          case 'cancelled':
            return [];
          case 'personalising':
          case 'queued':
          case 'encoding':
          case 'manual-handling':
            return [{ type: 'CardCancelled', data: { reason: command.reason, cancelledAt: now } }];
          case 'encoded':
          case 'quality-checked':
            return [
              ...voidChip(job, job.encoding!.leaseId, job.encoding!.chipSerial, 'CARD_CANCELLED', now),
              { type: 'CardCancelled', data: { reason: command.reason, cancelledAt: now } },
            ];
          case 'shipped':
          case 'delivered':
          case 'activated':
          case 'revoked':
            return refuse('CARD_ISSUED', 'a shipped card is revoked, not cancelled');
          default: {
            const unknown: never = job.status;
            throw new Error(`unknown job status ${String(unknown)}`);
          }
        }
      }
      case 'RetryCard': {
        const job = existing(state);
        if (job.status !== 'manual-handling')
          refuse('NOT_IN_MANUAL_HANDLING', 'only a job in manual handling is retried');
        const retried: CardEvent = { type: 'CardRetried', data: { retriedAt: now } };
        return job.manualHandling?.stage === 'personalisation'
          ? [retried]
          : [retried, { type: 'CardQueued', data: { queuedAt: now, notBefore: now } }];
      }
      case 'OrderReprint': {
        const job = existing(state);
        if (job.reprintedAs !== null) {
          if (job.reprintedAs === command.newCardId) return [];
          refuse('ALREADY_REPRINTED', 'the card has already been reprinted');
        }
        const ordered: CardEvent = {
          type: 'ReprintOrdered',
          data: { newCardId: command.newCardId, reason: command.reason, orderedAt: now },
        };
        if (job.status === 'encoded' || job.status === 'quality-checked') {
          // Superseded, not cancelled: the application goes on with the reprint (a cancelled card
          // would close it in enrollment), and the old chip's EF.SOD goes on the revocation list in
          // case its card body escapes destruction (the reprint is signed afresh, so no other
          // card shares that fingerprint).
          return [
            ordered,
            ...voidChip(job, job.encoding!.leaseId, job.encoding!.chipSerial, 'REPRINTED', now),
            { type: 'CardRevoked', data: { reason: 'superseded', revokedAt: now } },
          ];
        }
        if (job.status === 'shipped') {
          if (!REPRINT_OF_SHIPPED.has(command.reason)) {
            refuse('REPRINT_REASON', 'a shipped card is reprinted because it was lost, stolen or damaged');
          }
          return [ordered, { type: 'CardRevoked', data: { reason: command.reason, revokedAt: now } }];
        }
        if (job.status === 'delivered' || job.status === 'activated') {
          refuse('CARD_DELIVERED', 'a card the citizen received is replaced through a new application');
        }
        return refuse(
          'NOT_PRODUCED',
          'only an encoded card not yet delivered can be reprinted; retry or cancel others',
        );
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown card command ${(unknown as CardCommand).type}`);
      }
    }
  }

  return { decide, evolve, initialState };
}
