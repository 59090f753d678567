import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deciderSpec } from '@cancuoc/eventstore/testing';
import type { CardCommand } from './commands.js';
import { cardDecider, type CardPolicy } from './decider.js';
import {
  CardNotFoundError,
  CardRuleViolationError,
  InvalidCardCommandError,
  LeaseOfAnotherStationError,
  UnknownLeaseError,
} from './errors.js';
import type { CardEvent, CardPersonalised, CardRequested } from './events.js';
import { completionOutcome, failureOutcome } from './outcomes.js';
import { isJob, type CardJob } from './state.js';

const POLICY: CardPolicy = {
  maxAttempts: 3,
  leaseMs: 60_000,
  retryBackoffMs: 10_000,
  maxRetryBackoffMs: 600_000,
};
const decider = cardDecider(POLICY);

const T0 = '2026-11-26T02:00:00.000Z';
const T1 = '2026-11-26T02:00:30.000Z';
const T2 = '2026-11-26T02:01:30.000Z';
const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);

const { given } = deciderSpec(decider);

/** The rule a refusal cites. */
const reason = (expected: string) => (e: Error) =>
  assert.equal((e as CardRuleViolationError).reason, expected);
/** The fields an invalid command is refused for. */
const fields = (expected: readonly string[]) => (e: Error) =>
  assert.deepEqual(
    (e as InvalidCardCommandError).violations.map((v) => v.field).sort(),
    [...expected].sort(),
  );

const request: CardRequested['data'] = {
  cardId: '0192f000-0000-7000-8000-00000000c001',
  applicationId: 'app-1',
  applicationVersion: 7,
  citizenId: '0192f000-0000-7000-8000-000000000001',
  registryRecordVersion: 3,
  reason: 'first-issue',
  priority: 0,
  enrollmentStationId: 'hn-07',
  portrait: { reference: 'face-1', sha256: 'c'.repeat(64), mediaType: 'image/jpeg' },
  replacesCardId: null,
  reprintOf: null,
  requestedAt: T0,
};
const personalisation: CardPersonalised['data'] = {
  documentNumber: '190123456',
  issueDate: '2026-11-26',
  expiryDate: '2030-05-17',
  validityRuleId: 'vn-2023',
  mrzLayoutId: 'vn-td1-2021-samples',
  dg13LayoutId: 'vn-dg13-2021-samples',
  dataGroups: [{ dataGroup: 1, sha256: 'd'.repeat(64) }],
  sodSha256: 'e'.repeat(64),
  chipImageSha256: HASH,
  documentSignerKeyId: 'ds-1',
  personalisedAt: T0,
};

const requested: CardEvent = { type: 'CardRequested', data: request };
const personalised: CardEvent = { type: 'CardPersonalised', data: personalisation };
const queued: CardEvent = { type: 'CardQueued', data: { queuedAt: T0, notBefore: T0 } };
const leased = (leaseId = 'lease-1', stationId = 'st-1', attempt = 1): CardEvent => ({
  type: 'JobLeased',
  data: { leaseId, stationId, leasedAt: T0, deadline: '2026-11-26T02:01:00.000Z', attempt },
});
const encoded = (leaseId = 'lease-1', chipSerial = 'CHIP-1'): CardEvent => ({
  type: 'CardEncoded',
  data: { leaseId, stationId: 'st-1', chipSerial, encodedAt: T1 },
});
const expired = (leaseId = 'lease-1'): CardEvent => ({
  type: 'LeaseExpired',
  data: { leaseId, expiredAt: T2 },
});
const checked: CardEvent = { type: 'QualityCheckPassed', data: { checkedAt: T1 } };
const shipped: CardEvent = {
  type: 'CardShipped',
  data: { shipmentId: 'SHIP-1', destinationUnitCode: '00049', shippedAt: T1 },
};
const delivered: CardEvent = { type: 'CardDelivered', data: { unitCode: '00049', deliveredAt: T1 } };
const inQueue = [requested, personalised, queued];
const encoding = [...inQueue, leased()];
const produced = [...encoding, encoded(), checked];

const complete = (
  overrides: Partial<Extract<CardCommand, { type: 'CompleteEncoding' }>> = {},
): CardCommand => ({
  type: 'CompleteEncoding',
  now: T1,
  leaseId: 'lease-1',
  stationId: 'st-1',
  chipSerial: 'CHIP-1',
  readBackSha256: HASH,
  ...overrides,
});
const failJob = (overrides: Partial<Extract<CardCommand, { type: 'FailEncoding' }>> = {}): CardCommand => ({
  type: 'FailEncoding',
  now: T1,
  leaseId: 'lease-1',
  stationId: 'st-1',
  reason: 'chip-write-error',
  detail: 'write timeout',
  chipSerial: null,
  ...overrides,
});

describe('card job: request and personalisation', () => {
  it('creates the job from a submitted application, waiting to be personalised', () => {
    const job = given()
      .when({ type: 'RequestCard', now: T0, request })
      .thenState<CardJob>([{ type: 'CardRequested' }]);
    assert.equal(job.status, 'personalising');
  });

  it('creates one job however often the application arrives', () => {
    given(requested).when({ type: 'RequestCard', now: T1, request }).thenNothingHappened();
  });

  it('queues a personalised card at once', () => {
    const job = given(requested)
      .when({ type: 'RecordPersonalisation', now: T0, personalisation })
      .thenState<CardJob>([{ type: 'CardPersonalised' }, { type: 'CardQueued', data: { notBefore: T0 } }]);
    assert.equal(job.status, 'queued');
    assert.equal(job.personalisation?.documentNumber, '190123456');
  });

  it('ignores a personalisation that lost the race to another one', () => {
    given(...inQueue)
      .when({ type: 'RecordPersonalisation', now: T1, personalisation })
      .thenNothingHappened();
  });

  it('sends a job whose personalisation cannot succeed to manual handling', () => {
    const job = given(requested)
      .when({ type: 'FailPersonalisation', now: T1, reason: 'PORTRAIT_HASH_MISMATCH', detail: 'x' })
      .thenState<CardJob>([{ type: 'ManualHandlingRequired', data: { stage: 'personalisation' } }]);
    assert.equal(job.status, 'manual-handling');
  });

  it('knows no card that was never requested', () => {
    given().when({ type: 'RecordPersonalisation', now: T0, personalisation }).thenThrows(CardNotFoundError);
  });
});

describe('card job: leases', () => {
  it('leases a queued job to a station with a deadline', () => {
    const job = given(...inQueue)
      .when({ type: 'LeaseJob', now: T0, leaseId: 'lease-1', stationId: 'st-1' })
      .thenState<CardJob>([
        { type: 'JobLeased', data: { deadline: '2026-11-26T02:01:00.000Z', attempt: 1 } },
      ]);
    assert.equal(job.status, 'encoding');
    assert.equal(job.currentLeaseId, 'lease-1');
  });

  it('never leases a job twice', () => {
    given(...encoding)
      .when({ type: 'LeaseJob', now: T0, leaseId: 'lease-2', stationId: 'st-2' })
      .thenThrows(CardRuleViolationError, reason('NOT_QUEUED'));
  });

  it('does not lease a job during its backoff', () => {
    given(...inQueue, { type: 'CardQueued', data: { queuedAt: T0, notBefore: T2 } })
      .when({ type: 'LeaseJob', now: T1, leaseId: 'lease-1', stationId: 'st-1' })
      .thenThrows(CardRuleViolationError, reason('IN_BACKOFF'));
  });

  it('extends the current lease, and only forward', () => {
    given(...encoding)
      .when({ type: 'ExtendLease', now: T1, leaseId: 'lease-1', until: T2 })
      .then([{ type: 'LeaseExtended', data: { deadline: T2 } }]);
    given(...encoding)
      .when({ type: 'ExtendLease', now: T1, leaseId: 'lease-1', until: T0 })
      .thenNothingHappened();
    given(...encoding)
      .when({ type: 'ExtendLease', now: T1, leaseId: 'other', until: T2 })
      .thenNothingHappened();
  });

  it('puts a job back in the queue when its lease expires, counting an attempt', () => {
    const job = given(...encoding)
      .when({ type: 'ExpireLease', now: T2, leaseId: 'lease-1' })
      .thenState<CardJob>([
        { type: 'LeaseExpired' },
        { type: 'CardQueued', data: { notBefore: '2026-11-26T02:01:40.000Z' } },
      ]);
    assert.equal(job.status, 'queued');
    assert.equal(job.attempts, 1);
    assert.equal(job.leases['lease-1']?.outcome, 'expired');
  });

  it('does not expire a lease before its deadline, nor one extended past now', () => {
    given(...encoding)
      .when({ type: 'ExpireLease', now: T1, leaseId: 'lease-1' })
      .thenNothingHappened();
    given(...encoding, {
      type: 'LeaseExtended',
      data: { leaseId: 'lease-1', deadline: '2026-11-26T03:00:00.000Z' },
    })
      .when({ type: 'ExpireLease', now: T2, leaseId: 'lease-1' })
      .thenNothingHappened();
  });

  it('gives a job that never reached its station back to the queue without counting an attempt', () => {
    const job = given(...encoding)
      .when({ type: 'ReleaseLease', now: T1, leaseId: 'lease-1' })
      .thenState<CardJob>([{ type: 'LeaseReleased' }, { type: 'CardQueued', data: { notBefore: T1 } }]);
    assert.equal(job.attempts, 0);
    assert.equal(job.dispatches, 0);
  });

  it('stops a job for an operator once its attempts are used up', () => {
    const second = [...encoding, expired(), queued, leased('lease-2', 'st-2', 2)];
    const third = [...second, expired('lease-2'), queued, leased('lease-3', 'st-3', 3)];
    const job = given(...third)
      .when({ type: 'ExpireLease', now: T2, leaseId: 'lease-3' })
      .thenState<CardJob>([
        { type: 'LeaseExpired' },
        { type: 'ManualHandlingRequired', data: { reason: 'ATTEMPTS_EXHAUSTED' } },
      ]);
    assert.equal(job.status, 'manual-handling');
  });
});

describe('card job: completion', () => {
  it('records the card encoded when the read-back hash matches the files sent', () => {
    const job = given(...encoding)
      .when(complete())
      .thenState<CardJob>([{ type: 'CardEncoded', data: { chipSerial: 'CHIP-1' } }]);
    assert.equal(job.status, 'encoded');
    assert.deepEqual(completionOutcome(job, complete() as never, [encoded()]), {
      kind: 'encoded',
      duplicate: false,
    });
  });

  it('answers a repeated completion the same way and changes nothing', () => {
    const job = given(...encoding, encoded())
      .when(complete())
      .thenState<CardJob>([]);
    assert.deepEqual(completionOutcome(job, complete() as never, []), { kind: 'encoded', duplicate: true });
  });

  it('voids a second chip reported for the same lease', () => {
    const job = given(...encoding, encoded())
      .when(complete({ chipSerial: 'CHIP-2' }))
      .thenState<CardJob>([
        { type: 'ChipVoided', data: { chipSerial: 'CHIP-2', reason: 'DUPLICATE_COMPLETION' } },
      ]);
    assert.equal(job.encoding?.chipSerial, 'CHIP-1', 'the first chip stays the card');
  });

  it('refuses a completion that comes after the lease moved to another station, voiding its chip', () => {
    const moved = [...encoding, expired(), queued, leased('lease-2', 'st-2', 2)];
    const job = given(...moved)
      .when(complete({ now: T2 }))
      .thenState<CardJob>([
        { type: 'ChipVoided', data: { leaseId: 'lease-1', chipSerial: 'CHIP-1', reason: 'LEASE_NOT_HELD' } },
      ]);
    assert.equal(job.status, 'encoding');
    assert.equal(job.currentLeaseId, 'lease-2');
    assert.deepEqual(completionOutcome(job, complete() as never, []), {
      kind: 'voided',
      reason: 'LEASE_NOT_HELD',
    });
    // The chip is accounted for once, however often the late completion is repeated.
    given(...moved, {
      type: 'ChipVoided',
      data: { leaseId: 'lease-1', chipSerial: 'CHIP-1', reason: 'LEASE_NOT_HELD', voidedAt: T2 },
    })
      .when(complete({ now: T2 }))
      .thenNothingHappened();
  });

  it('refuses the late completion even after the new station encoded the card: one card per job', () => {
    const job = given(...encoding, expired(), queued, leased('lease-2', 'st-2', 2), {
      type: 'CardEncoded',
      data: { leaseId: 'lease-2', stationId: 'st-2', chipSerial: 'CHIP-9', encodedAt: T2 },
    })
      .when(complete({ now: T2 }))
      .thenState<CardJob>([{ type: 'ChipVoided', data: { reason: 'LEASE_NOT_HELD' } }]);
    assert.equal(job.encoding?.chipSerial, 'CHIP-9');
  });

  it('fails the attempt when the read-back hash differs, voiding the chip', () => {
    const job = given(...encoding)
      .when(complete({ readBackSha256: OTHER_HASH }))
      .thenState<CardJob>([
        { type: 'EncodingFailed', data: { reason: 'read-back-mismatch' } },
        { type: 'ChipVoided', data: { reason: 'READ_BACK_MISMATCH' } },
        { type: 'CardQueued', data: { notBefore: '2026-11-26T02:00:40.000Z' } },
      ]);
    assert.equal(job.status, 'queued');
    assert.deepEqual(completionOutcome(job, complete() as never, []), {
      kind: 'voided',
      reason: 'READ_BACK_MISMATCH',
    });
  });

  it('refuses a lease the job never granted, and another station settling a lease', () => {
    given(...encoding)
      .when(complete({ leaseId: 'lease-x' }))
      .thenThrows(UnknownLeaseError);
    given(...encoding)
      .when(complete({ stationId: 'st-2' }))
      .thenThrows(LeaseOfAnotherStationError);
    given(...encoding)
      .when(failJob({ stationId: 'st-2' }))
      .thenThrows(LeaseOfAnotherStationError);
  });

  it('refuses a malformed chip serial and hash, naming both fields', () => {
    given(...encoding)
      .when(complete({ chipSerial: 'chip 1', readBackSha256: 'xyz' }))
      .thenThrows(InvalidCardCommandError, fields(['chipSerial', 'readBackSha256']));
  });
});

describe('card job: failures', () => {
  it('puts a failed job back in the queue with a backoff while attempts remain', () => {
    const job = given(...encoding)
      .when(failJob({ chipSerial: 'CHIP-1' }))
      .thenState<CardJob>([
        { type: 'EncodingFailed', data: { reason: 'chip-write-error' } },
        { type: 'ChipVoided', data: { reason: 'ENCODING_FAILED' } },
        { type: 'CardQueued', data: { notBefore: '2026-11-26T02:00:40.000Z' } },
      ]);
    assert.deepEqual(failureOutcome(job, failJob() as never, 3), {
      disposition: 'requeued',
      attemptsLeft: 2,
    });
  });

  it('doubles the backoff with each attempt', () => {
    given(
      ...encoding,
      {
        type: 'EncodingFailed',
        data: { leaseId: 'lease-1', stationId: 'st-1', reason: 'chip-write-error', detail: '', failedAt: T0 },
      },
      queued,
      leased('lease-2', 'st-1', 2),
    )
      .when(failJob({ leaseId: 'lease-2' }))
      .then([
        { type: 'EncodingFailed' },
        { type: 'CardQueued', data: { notBefore: '2026-11-26T02:00:50.000Z' } },
      ]);
  });

  it('answers a repeated failure the same way and changes nothing', () => {
    const failedOnce = given(...encoding)
      .when(failJob())
      .thenState<CardJob>([{ type: 'EncodingFailed' }, { type: 'CardQueued' }]);
    assert.equal(failedOnce.leases['lease-1']?.disposition, 'requeued');
    const history = [
      ...encoding,
      {
        type: 'EncodingFailed',
        data: {
          leaseId: 'lease-1',
          stationId: 'st-1',
          reason: 'chip-write-error',
          detail: 'write timeout',
          failedAt: T1,
        },
      } as CardEvent,
      { type: 'CardQueued', data: { queuedAt: T1, notBefore: T1 } } as CardEvent,
    ];
    const job = given(...history)
      .when(failJob())
      .thenState<CardJob>([]);
    assert.deepEqual(failureOutcome(job, failJob() as never, 3), {
      disposition: 'requeued',
      attemptsLeft: 2,
    });
  });

  it('sends data the station refused back to personalisation through an operator', () => {
    given(...encoding)
      .when(failJob({ reason: 'passive-authentication-failed' }))
      .then([
        { type: 'EncodingFailed' },
        { type: 'ManualHandlingRequired', data: { stage: 'personalisation', reason: 'CHIP_DATA_REFUSED' } },
      ]);
  });

  it('tells a station failing a lease it no longer holds, voiding any chip it names', () => {
    const moved = [...encoding, expired(), queued];
    const job = given(...moved)
      .when(failJob({ chipSerial: 'CHIP-7' }))
      .thenState<CardJob>([{ type: 'ChipVoided', data: { reason: 'LEASE_NOT_HELD' } }]);
    assert.deepEqual(failureOutcome(job, failJob() as never, 3), {
      disposition: 'lease-not-held',
      attemptsLeft: 2,
    });
    given(...moved)
      .when(failJob())
      .thenNothingHappened();
  });
});

describe('card job: after encoding', () => {
  it('goes through quality check, shipping, delivery and activation', () => {
    given(...encoding, encoded())
      .when({ type: 'RecordQualityCheck', now: T1, passed: true, defects: [] })
      .then([{ type: 'QualityCheckPassed' }]);
    given(...produced)
      .when({ type: 'ShipCard', now: T1, shipmentId: 'SHIP-1', destinationUnitCode: '00049' })
      .then([{ type: 'CardShipped' }]);
    given(...produced, shipped)
      .when({ type: 'DeliverCard', now: T1, unitCode: '00049' })
      .then([{ type: 'CardDelivered' }]);
    const job = given(...produced, shipped, delivered)
      .when({ type: 'ActivateCard', now: T2 })
      .thenState<CardJob>([{ type: 'CardActivated' }]);
    assert.equal(job.status, 'activated');
  });

  it('encodes the job again after a failed quality check, voiding the card body', () => {
    const job = given(...encoding, encoded())
      .when({ type: 'RecordQualityCheck', now: T1, passed: false, defects: ['PRINT_SMEARED'] })
      .thenState<CardJob>([
        { type: 'QualityCheckFailed' },
        { type: 'ChipVoided', data: { chipSerial: 'CHIP-1', reason: 'QUALITY_CHECK_FAILED' } },
        { type: 'CardQueued' },
      ]);
    assert.equal(job.encoding, null);
  });

  it('keeps the order of the steps, and repeats of a step change nothing', () => {
    given(...encoding)
      .when({ type: 'ShipCard', now: T1, shipmentId: 'S', destinationUnitCode: '001' })
      .thenThrows(CardRuleViolationError, reason('NOT_QUALITY_CHECKED'));
    given(...produced)
      .when({ type: 'DeliverCard', now: T1, unitCode: '001' })
      .thenThrows(CardRuleViolationError, reason('NOT_SHIPPED'));
    given(...produced, shipped)
      .when({ type: 'ActivateCard', now: T1 })
      .thenThrows(CardRuleViolationError, reason('NOT_DELIVERED'));
    given(...produced, shipped)
      .when({ type: 'ShipCard', now: T1, shipmentId: 'SHIP-1', destinationUnitCode: '00049' })
      .thenNothingHappened();
    given(...produced, shipped)
      .when({ type: 'ShipCard', now: T1, shipmentId: 'SHIP-2', destinationUnitCode: '00049' })
      .thenThrows(CardRuleViolationError, reason('ALREADY_SHIPPED'));
    given(...produced, shipped, delivered)
      .when({ type: 'DeliverCard', now: T2, unitCode: '00049' })
      .thenNothingHappened();
  });

  it('refuses bad shipping input with every field named', () => {
    given(...produced)
      .when({ type: 'ShipCard', now: T1, shipmentId: '', destinationUnitCode: 'Hà Nội' })
      .thenThrows(InvalidCardCommandError, fields(['shipmentId', 'destinationUnitCode']));
  });
});

describe('card job: cancellation, revocation, retry, reprint', () => {
  it('cancels a job before shipping, voiding an encoded card', () => {
    given(...encoding)
      .when({ type: 'CancelCard', now: T1, reason: 'APPLICATION_WITHDRAWN' })
      .then([{ type: 'CardCancelled' }]);
    given(...produced)
      .when({ type: 'CancelCard', now: T1, reason: 'APPLICATION_WITHDRAWN' })
      .then([{ type: 'ChipVoided', data: { reason: 'CARD_CANCELLED' } }, { type: 'CardCancelled' }]);
    given(...produced, shipped)
      .when({ type: 'CancelCard', now: T1, reason: 'X' })
      .thenThrows(CardRuleViolationError, reason('CARD_ISSUED'));
  });

  it('voids a chip completed after the job was cancelled', () => {
    const cancelled: CardEvent = {
      type: 'CardCancelled',
      data: { reason: 'APPLICATION_WITHDRAWN', cancelledAt: T1 },
    };
    given(...encoding, cancelled)
      .when(complete({ now: T2 }))
      .then([{ type: 'ChipVoided', data: { reason: 'LEASE_NOT_HELD' } }]);
  });

  it('revokes only issued cards, once per reason', () => {
    const job = given(...produced, shipped, delivered)
      .when({ type: 'RevokeCard', now: T2, reason: 'lost' })
      .thenState<CardJob>([{ type: 'CardRevoked' }]);
    assert.equal(job.status, 'revoked');
    const revoked: CardEvent = { type: 'CardRevoked', data: { reason: 'lost', revokedAt: T2 } };
    given(...produced, shipped, revoked)
      .when({ type: 'RevokeCard', now: T2, reason: 'lost' })
      .thenNothingHappened();
    given(...produced, shipped, revoked)
      .when({ type: 'RevokeCard', now: T2, reason: 'stolen' })
      .thenThrows(CardRuleViolationError, reason('ALREADY_REVOKED'));
    given(...produced)
      .when({ type: 'RevokeCard', now: T2, reason: 'lost' })
      .thenThrows(CardRuleViolationError, reason('NOT_ISSUED'));
  });

  it('retries from manual handling with fresh attempts: queued again, or personalised again', () => {
    const stopped: CardEvent = {
      type: 'ManualHandlingRequired',
      data: { stage: 'encoding', reason: 'ATTEMPTS_EXHAUSTED', detail: '', since: T2 },
    };
    const job = given(...encoding, expired(), stopped)
      .when({ type: 'RetryCard', now: T2 })
      .thenState<CardJob>([{ type: 'CardRetried' }, { type: 'CardQueued' }]);
    assert.equal(job.status, 'queued');
    assert.equal(job.attempts, 0);
    const early: CardEvent = {
      type: 'ManualHandlingRequired',
      data: { stage: 'personalisation', reason: 'PORTRAIT_HASH_MISMATCH', detail: '', since: T1 },
    };
    assert.equal(
      given(requested, early)
        .when({ type: 'RetryCard', now: T2 })
        .thenState<CardJob>([{ type: 'CardRetried' }]).status,
      'personalising',
    );
    given(...encoding)
      .when({ type: 'RetryCard', now: T2 })
      .thenThrows(CardRuleViolationError, reason('NOT_IN_MANUAL_HANDLING'));
  });

  it('reprints a card spoiled or lost before delivery, superseding or revoking the old one', () => {
    given(...produced)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'new', reason: 'damaged' })
      .then([
        { type: 'ReprintOrdered' },
        { type: 'ChipVoided', data: { reason: 'REPRINTED' } },
        { type: 'CardRevoked', data: { reason: 'superseded' } },
      ]);
    const job = given(...produced, shipped)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'new', reason: 'lost' })
      .thenState<CardJob>([{ type: 'ReprintOrdered' }, { type: 'CardRevoked', data: { reason: 'lost' } }]);
    assert.equal(job.reprintedAs, 'new');
    given(...produced, shipped)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'new', reason: 'superseded' })
      .thenThrows(CardRuleViolationError, reason('REPRINT_REASON'));
    given(...produced, shipped, delivered)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'new', reason: 'lost' })
      .thenThrows(CardRuleViolationError, reason('CARD_DELIVERED'));
    const ordered: CardEvent = {
      type: 'ReprintOrdered',
      data: { newCardId: 'new', reason: 'lost', orderedAt: T2 },
    };
    given(...produced, shipped, ordered)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'new', reason: 'lost' })
      .thenNothingHappened();
    given(...produced, shipped, ordered)
      .when({ type: 'OrderReprint', now: T2, newCardId: 'newer', reason: 'lost' })
      .thenThrows(CardRuleViolationError, reason('ALREADY_REPRINTED'));
  });

  it('folds every event of a full life into a consistent job', () => {
    const life = [
      ...produced,
      shipped,
      delivered,
      { type: 'CardActivated', data: { activatedAt: T2 } } as CardEvent,
    ];
    const state = life.reduce(decider.evolve, decider.initialState());
    assert.ok(isJob(state));
    assert.equal(state.status, 'activated');
    assert.equal(state.encoding?.chipSerial, 'CHIP-1');
    assert.equal(state.leases['lease-1']?.outcome, 'encoded');
  });
});
