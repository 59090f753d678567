import type { CompleteEncoding, FailEncoding } from './commands.js';
import type { CardEvent, VoidReason } from './events.js';
import type { CardJob } from './state.js';

/**
 * What a station is told about its completion, read from the job once the command has been
 * decided (and recorded): a repeat gets the same answer as the first report, whatever the order.
 */
export type CompletionOutcome =
  | { readonly kind: 'encoded'; readonly duplicate: boolean }
  | { readonly kind: 'voided'; readonly reason: VoidReason };

export function completionOutcome(
  job: CardJob,
  command: CompleteEncoding,
  events: readonly CardEvent[],
): CompletionOutcome {
  if (job.encoding?.leaseId === command.leaseId && job.encoding.chipSerial === command.chipSerial) {
    return { kind: 'encoded', duplicate: !events.some((e) => e.type === 'CardEncoded') };
  }
  const voided = job.voidedChips.find(
    (v) => v.leaseId === command.leaseId && v.chipSerial === command.chipSerial,
  );
  // A chip encoded and then voided (a failed quality check, a cancellation) was accepted at the time.
  if (voided) return { kind: 'voided', reason: voided.reason };
  return { kind: 'voided', reason: 'LEASE_NOT_HELD' };
}

export type FailureOutcome = {
  readonly disposition: 'requeued' | 'manual-handling' | 'lease-not-held';
  readonly attemptsLeft: number;
};

export function failureOutcome(job: CardJob, command: FailEncoding, maxAttempts: number): FailureOutcome {
  const lease = job.leases[command.leaseId];
  const attemptsLeft = job.status === 'manual-handling' ? 0 : Math.max(0, maxAttempts - job.attempts);
  if (lease?.outcome === 'failed' && lease.disposition)
    return { disposition: lease.disposition, attemptsLeft };
  return { disposition: 'lease-not-held', attemptsLeft };
}
