/**
 * Issue 18, "every bad request gets a client error": every RPC of CardProductionService and
 * EncodingStationService, called with valid credentials and a malformed request — ids that are not
 * UUIDs, text over its bound, enums out of range or left UNSPECIFIED, numbers out of range, foreign
 * or made-up page tokens — answers INVALID_ARGUMENT naming the field and the rule (never INTERNAL
 * or UNKNOWN), refused before the card is even loaded (a well-formed id of no card would be
 * NOT_FOUND), and writes nothing: every table is the same, row for row, before and after.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  malformedRequestFailures,
  tableSnapshot,
  type MalformedCase,
} from '@cancuoc/grpc/malformed-requests';
import { closeClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import {
  CardJobStatus,
  CardProductionService,
  EncodingFailureReason,
  EncodingStationService,
  operations,
  RevocationReason,
} from '@cancuoc/proto';
import { encodePageToken } from '@cancuoc/identity';
import { identities } from '@cancuoc/auth';
import { clientAs, startFixture, stationClient, type Fixture } from './test-support/fixture.js';

const LONG = 'x'.repeat(100_000);
const SHA = 'a'.repeat(64);

interface Callers {
  readonly admin: GrpcClient<typeof CardProductionService>;
  readonly station: GrpcClient<typeof EncodingStationService>;
  /** The shared OperationsService, as card production serves it. */
  readonly ops: GrpcClient<typeof operations.OperationsService>;
}

type Case = MalformedCase<Callers>;

/** The RPCs whose requests have no fields: nothing in them can be malformed. */
const NO_FIELDS = ['GetQueueDepth', 'GetRevocationList', 'GetTrustAnchors', 'RotateDocumentSigner'];

/** Opens the station's job stream and closes it once it opened. */
async function openStream(
  station: GrpcClient<typeof EncodingStationService>,
  request: Parameters<GrpcClient<typeof EncodingStationService>['streamJobs']>[0],
) {
  for await (const message of station.streamJobs(request)) if (message.event.case === 'opened') return;
}

const card = (cardId: string) => ({ card: { case: 'cardId' as const, value: cardId } });
const application = (applicationId: string) => ({
  card: { case: 'applicationId' as const, value: applicationId },
});

describe('malformed requests to card production: a client error, and nothing written', () => {
  let f: Fixture;
  let callers: Callers;

  before(async () => {
    f = await startFixture();
    callers = {
      admin: f.admin,
      station: stationClient(f.running.grpc.address, 'mf-station'),
      ops: clientAs(operations.OperationsService, f.running.grpc.address, identities.administrator('ops-01')),
    };
  });
  after(async () => {
    if (callers) {
      closeClient(callers.station);
      closeClient(callers.ops);
    }
    await f?.close();
  });

  const some = () => randomUUID();
  const cases: Case[] = [
    // GetCard
    {
      rpc: 'GetCard',
      what: 'neither a card nor an application',
      call: (c) => c.admin.getCard({}),
      field: 'card',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.getCard(card("1' OR '1'='1")),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCard',
      what: 'a card id of 100 000 characters',
      call: (c) => c.admin.getCard(card(LONG)),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCard',
      what: 'an empty application id',
      call: (c) => c.admin.getCard(application('')),
      field: 'application_id',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetCard',
      what: 'an application id with spaces and quotes',
      call: (c) => c.admin.getCard(application("app'; DROP TABLE cp_jobs; --")),
      field: 'application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCard',
      what: 'an application id of 100 000 characters',
      call: (c) => c.admin.getCard(application(LONG)),
      field: 'application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCard',
      what: 'a UUID no card has',
      call: (c) => c.admin.getCard(card(some())),
      field: '',
      code: status.NOT_FOUND,
    },
    // ListCards
    {
      rpc: 'ListCards',
      what: 'no status (UNSPECIFIED)',
      call: (c) => c.admin.listCards({}),
      field: 'status',
      reason: 'REQUIRED',
    },
    {
      rpc: 'ListCards',
      what: 'a status the contract does not define',
      call: (c) => c.admin.listCards({ status: 99 as CardJobStatus }),
      field: 'status',
      reason: 'INVALID_VALUE',
    },
    ...(
      [
        ['characters outside base64url', 'not a token!'],
        ['the old token format (a card id)', Buffer.from(randomUUID()).toString('base64url')],
        ['base64url of garbage', Buffer.from('\u0001\u0002garbage').toString('base64url')],
        ['4 kB of base64url', 'A'.repeat(4096)],
        ['a token of another state', encodePageToken('cards', ['encoded'], [randomUUID()])],
        ['a token of another list', encodePageToken('applications', ['queued'], [randomUUID()])],
        ['a token whose cursor is no UUID', encodePageToken('cards', ['queued'], ["x'::uuid"])],
        ['a token with two cursors', encodePageToken('cards', ['queued'], [randomUUID(), randomUUID()])],
      ] as const
    ).map(([what, pageToken]): Case => ({
      rpc: 'ListCards',
      what: `a page token: ${what}`,
      call: (c) => c.admin.listCards({ status: CardJobStatus.QUEUED, pageToken }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    })),
    // RecordQualityCheck
    {
      rpc: 'RecordQualityCheck',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.recordQualityCheck({ cardId: 'nope', passed: true }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RecordQualityCheck',
      what: '21 defects',
      call: (c) =>
        c.admin.recordQualityCheck({
          cardId: some(),
          passed: false,
          defects: Array.from({ length: 21 }, () => 'PRINT_SMEARED'),
        }),
      field: 'defects',
      reason: 'TOO_MANY',
    },
    {
      rpc: 'RecordQualityCheck',
      what: 'a defect that is not a code',
      call: (c) => c.admin.recordQualityCheck({ cardId: some(), passed: false, defects: [LONG] }),
      field: 'defects',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RecordQualityCheck',
      what: 'a failed check without defects',
      call: (c) => c.admin.recordQualityCheck({ cardId: some(), passed: false }),
      field: 'defects',
      reason: 'REQUIRED',
    },
    // ShipCard, DeliverCard
    {
      rpc: 'ShipCard',
      what: 'no shipment id',
      call: (c) => c.admin.shipCard({ cardId: some(), destinationUnitCode: '00004' }),
      field: 'shipment_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ShipCard',
      what: 'a shipment id of 100 000 characters',
      call: (c) => c.admin.shipCard({ cardId: some(), shipmentId: LONG, destinationUnitCode: '00004' }),
      field: 'shipment_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ShipCard',
      what: 'a destination that is not a unit code',
      call: (c) => c.admin.shipCard({ cardId: some(), shipmentId: 'S-1', destinationUnitCode: 'Hà Nội' }),
      field: 'destination_unit_code',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ShipCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.shipCard({ cardId: '', shipmentId: 'S-1', destinationUnitCode: '00004' }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'DeliverCard',
      what: 'a unit code of four digits',
      call: (c) => c.admin.deliverCard({ cardId: some(), deliveredAtUnitCode: '1234' }),
      field: 'delivered_at_unit_code',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'DeliverCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.deliverCard({ cardId: LONG, deliveredAtUnitCode: '00004' }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    // ActivateCard, RetryCard
    {
      rpc: 'ActivateCard',
      what: 'a card id in upper case',
      call: (c) => c.admin.activateCard({ cardId: some().toUpperCase() }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ActivateCard',
      what: 'a UUID no card has',
      call: (c) => c.admin.activateCard({ cardId: some() }),
      field: '',
      code: status.NOT_FOUND,
    },
    {
      rpc: 'RetryCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.retryCard({ cardId: 'card-1' }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    // RevokeCard, CancelCard, ReprintCard
    {
      rpc: 'RevokeCard',
      what: 'no reason (UNSPECIFIED)',
      call: (c) => c.admin.revokeCard({ cardId: some() }),
      field: 'reason',
      reason: 'REQUIRED',
    },
    {
      rpc: 'RevokeCard',
      what: 'a reason the contract does not define',
      call: (c) => c.admin.revokeCard({ cardId: some(), reason: 42 as RevocationReason }),
      field: 'reason',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'RevokeCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.revokeCard({ cardId: 'x', reason: RevocationReason.LOST }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CancelCard',
      what: 'no reason',
      call: (c) => c.admin.cancelCard({ cardId: some() }),
      field: 'reason',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CancelCard',
      what: 'a reason of 100 000 characters',
      call: (c) => c.admin.cancelCard({ cardId: some(), reason: LONG }),
      field: 'reason',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CancelCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.cancelCard({ cardId: 'x', reason: 'PRINTING_ERROR' }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ReprintCard',
      what: 'a card id that is not a UUID',
      call: (c) => c.admin.reprintCard({ cardId: 'x', reason: RevocationReason.DAMAGED }),
      field: 'card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ReprintCard',
      what: 'no reason (UNSPECIFIED)',
      call: (c) => c.admin.reprintCard({ cardId: some() }),
      field: 'reason',
      reason: 'REQUIRED',
    },
    {
      rpc: 'ReprintCard',
      what: 'a reason the contract does not define',
      call: (c) => c.admin.reprintCard({ cardId: some(), reason: 7 as RevocationReason }),
      field: 'reason',
      reason: 'INVALID_VALUE',
    },
    // EncodingStationService
    ...[0, 65, 4_294_967_295].map((capacity): Case => ({
      rpc: 'StreamJobs',
      what: `capacity ${capacity}`,
      call: (c) => openStream(c.station, { capacity }),
      field: 'capacity',
      reason: 'OUT_OF_RANGE',
    })),
    {
      rpc: 'StreamJobs',
      what: 'station software of 100 000 characters',
      call: (c) => openStream(c.station, { capacity: 1, stationSoftware: LONG }),
      field: 'station_software',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'CompleteJob',
      what: 'a job id that is not a UUID',
      call: (c) =>
        c.station.completeJob({ jobId: 'job', leaseId: some(), chipSerial: 'CHIP-1', readBackSha256: SHA }),
      field: 'job_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CompleteJob',
      what: 'a lease id of 100 000 characters',
      call: (c) =>
        c.station.completeJob({ jobId: some(), leaseId: LONG, chipSerial: 'CHIP-1', readBackSha256: SHA }),
      field: 'lease_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CompleteJob',
      what: 'a chip serial of 100 000 characters',
      call: (c) =>
        c.station.completeJob({ jobId: some(), leaseId: some(), chipSerial: LONG, readBackSha256: SHA }),
      field: 'chip_serial',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CompleteJob',
      what: 'a read-back hash that is not 64 hex digits',
      call: (c) =>
        c.station.completeJob({
          jobId: some(),
          leaseId: some(),
          chipSerial: 'CHIP-1',
          readBackSha256: 'nope',
        }),
      field: 'read_back_sha256',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CompleteJob',
      what: 'a well-formed report of a job that does not exist',
      call: (c) =>
        c.station.completeJob({ jobId: some(), leaseId: some(), chipSerial: 'CHIP-1', readBackSha256: SHA }),
      field: '',
      code: status.NOT_FOUND,
    },
    {
      rpc: 'FailJob',
      what: 'no reason (UNSPECIFIED)',
      call: (c) => c.station.failJob({ jobId: some(), leaseId: some() }),
      field: 'reason',
      reason: 'REQUIRED',
    },
    {
      rpc: 'FailJob',
      what: 'a reason the contract does not define',
      call: (c) => c.station.failJob({ jobId: some(), leaseId: some(), reason: 99 as EncodingFailureReason }),
      field: 'reason',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'FailJob',
      what: 'a detail of 501 characters',
      call: (c) =>
        c.station.failJob({
          jobId: some(),
          leaseId: some(),
          reason: EncodingFailureReason.STATION_FAULT,
          detail: 'd'.repeat(501),
        }),
      field: 'detail',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'FailJob',
      what: 'a chip serial that is not one',
      call: (c) =>
        c.station.failJob({
          jobId: some(),
          leaseId: some(),
          reason: EncodingFailureReason.CHIP_DEFECTIVE,
          chipSerial: 'chip with spaces',
        }),
      field: 'chip_serial',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'FailJob',
      what: 'a job id that is not a UUID',
      call: (c) =>
        c.station.failJob({ jobId: 'j', leaseId: some(), reason: EncodingFailureReason.STATION_FAULT }),
      field: 'job_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'Heartbeat',
      what: '257 leases',
      call: (c) => c.station.heartbeat({ leaseIds: Array.from({ length: 257 }, () => some()) }),
      field: 'lease_ids',
      reason: 'TOO_MANY',
    },
    {
      rpc: 'Heartbeat',
      what: 'a lease id that is not a UUID',
      call: (c) => c.station.heartbeat({ leaseIds: [some(), "'; --"] }),
      field: 'lease_ids[1]',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'Heartbeat',
      what: 'a NUL in a lease id (the gRPC layer)',
      call: (c) => c.station.heartbeat({ leaseIds: ['\u0000'] }),
      field: 'lease_ids[0]',
      reason: 'CONTROL_CHARACTER',
    },
    // OperationsService/ListUnfinishedWork (libs/operations)
    {
      rpc: 'ListUnfinishedWork',
      what: 'a made-up page token',
      call: (c) => c.ops.listUnfinishedWork({ olderThanSeconds: 0, pageToken: 'bm90LWEtdG9rZW4' }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    },
    {
      rpc: 'ListUnfinishedWork',
      what: 'a page token issued for another threshold',
      call: (c) =>
        c.ops.listUnfinishedWork({
          olderThanSeconds: 60,
          pageToken: encodePageToken('unfinished-work', [0], [new Date().toISOString(), some()]),
        }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    },
    {
      rpc: 'ListUnfinishedWork',
      what: 'a page token whose cursor is not an instant and an id',
      call: (c) =>
        c.ops.listUnfinishedWork({
          olderThanSeconds: 0,
          pageToken: encodePageToken('unfinished-work', [0], ["'; DROP TABLE cp_jobs; --", some()]),
        }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    },
  ];

  it('covers every RPC of both services', () => {
    const covered = new Set([...cases.map((c) => c.rpc), ...NO_FIELDS]);
    for (const method of [...CardProductionService.methods, ...EncodingStationService.methods])
      assert.ok(covered.has(method.name), `no malformed request for ${method.name}`);
  });

  it(`answers each of ${cases.length} malformed requests with a client error naming the field, writing nothing`, async () => {
    const failures = await malformedRequestFailures(cases, callers, () => tableSnapshot(f.running.db));
    assert.deepEqual(failures, []);
  });

  it('answers the RPCs without request fields', async () => {
    await f.admin.getQueueDepth({});
    await f.admin.getRevocationList({});
    await f.admin.getTrustAnchors({});
  });

  it('refuses a page token of one state for another state’s list', async () => {
    // No card is in any state here: a token made for ENCODED, offered to QUEUED.
    const foreign = encodePageToken('cards', ['encoded'], [randomUUID()]);
    const details = await f.admin.listCards({ status: CardJobStatus.ENCODED, pageToken: foreign }).then(
      () => undefined,
      (e: unknown) => readErrorDetails(e),
    );
    assert.equal(details, undefined, 'a token of the same state is accepted');
    const refused = await f.admin.listCards({ status: CardJobStatus.QUEUED, pageToken: foreign }).then(
      () => undefined,
      (e: unknown) => readErrorDetails(e),
    );
    assert.equal(refused?.badRequest?.fieldViolations[0]?.reason, 'INVALID_PAGE_TOKEN');
  });
});
