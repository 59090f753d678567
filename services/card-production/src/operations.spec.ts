/**
 * The operators' API over gRPC: lists and queue depth, quality checks, cancellation, reprints,
 * replacements that supersede or revoke earlier cards (only ever the same citizen's), Document
 * Signer rotation, and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { readCertificate } from '@cancuoc/icao9303';
import { createLogger } from '@cancuoc/observability';
import {
  ApplicationReason,
  CardJobStatus,
  RevocationListSchema,
  RevocationReason,
  type CardJob,
} from '@cancuoc/proto';
import { applicationChanged, CITIZEN, CITIZEN_ID, publishApplication } from './test-support/applications.js';
import { eventually, startFixture, type Fixture } from './test-support/fixture.js';
import { portrait } from './test-support/portraits.js';
import { readBack, TestStation } from './test-support/test-station.js';

describe('operating card production over gRPC', () => {
  let f: Fixture;
  let station: TestStation;
  let n = 0;
  /** Every line card production logged. */
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    const logger = createLogger({
      service: 'card-production',
      write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    f = await startFixture({ options: { logger } });
    station = await new TestStation(f.running.grpc.address, 'ops-station').open(8);
  });
  after(async () => {
    station?.close();
    await f?.close();
  });

  async function cardOfApplication(applicationId: string, wanted: CardJobStatus): Promise<CardJob> {
    return eventually(async () => {
      const reply = await f.admin
        .getCard({ card: { case: 'applicationId', value: applicationId } })
        .catch(() => undefined);
      return reply?.card?.status === wanted ? reply.card : undefined;
    }, `the card of ${applicationId} to be ${CardJobStatus[wanted]}`);
  }

  /** Submits an application, lets the station encode its card, and returns the card encoded. */
  async function encoded(
    spec: { reason?: ApplicationReason; replacesCardId?: string; priority?: number } = {},
  ): Promise<CardJob> {
    const applicationId = `app-ops-${++n}`;
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(f.running.transport, applicationChanged({ applicationId, face, ...spec }));
    const job = await station.nextJob();
    await station.client.completeJob({
      jobId: job.jobId,
      leaseId: job.leaseId,
      chipSerial: `CHIP-OPS-${n}`,
      readBackSha256: readBack(job),
    });
    return cardOfApplication(applicationId, CardJobStatus.ENCODED);
  }

  async function delivered(spec: Parameters<typeof encoded>[0] = {}): Promise<CardJob> {
    const card = await encoded(spec);
    await f.admin.recordQualityCheck({ cardId: card.cardId, passed: true });
    await f.admin.shipCard({ cardId: card.cardId, shipmentId: `SHIP-${n}`, destinationUnitCode: '00004' });
    return (await f.admin.deliverCard({ cardId: card.cardId, deliveredAtUnitCode: '00004' })).card!;
  }

  it('encodes again after a failed quality check, and lists cards by state', async () => {
    const card = await encoded();
    const failed = await f.admin.recordQualityCheck({
      cardId: card.cardId,
      passed: false,
      defects: ['PRINT_SMEARED'],
    });
    assert.equal(failed.card?.status, CardJobStatus.QUEUED);
    const again = await station.nextJob();
    assert.equal(again.jobId, card.cardId);
    await station.client.completeJob({
      jobId: again.jobId,
      leaseId: again.leaseId,
      chipSerial: 'CHIP-OPS-QC2',
      readBackSha256: readBack(again),
    });
    const listed = await f.admin.listCards({ status: CardJobStatus.ENCODED, pageSize: 500 });
    const mine = listed.cards.find((c) => c.cardId === card.cardId);
    assert.equal(mine?.chipSerial, 'CHIP-OPS-QC2');
    assert.deepEqual(
      mine?.voidedChips.map((v) => [v.chipSerial, v.reason]),
      [[card.chipSerial, 'QUALITY_CHECK_FAILED']],
    );
    await f.admin.cancelCard({ cardId: card.cardId, reason: 'TEST_DONE' });
  });

  it('pages through cards of one state', async () => {
    const ids = [(await encoded()).cardId, (await encoded()).cardId, (await encoded()).cardId];
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await f.admin.listCards({ status: CardJobStatus.ENCODED, pageSize: 2, pageToken });
      assert.ok(page.cards.length <= 2);
      seen.push(...page.cards.map((c) => c.cardId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    for (const id of ids) assert.ok(seen.includes(id));
    assert.equal(new Set(seen).size, seen.length, 'no card twice');
    for (const id of ids) await f.admin.cancelCard({ cardId: id, reason: 'TEST_DONE' });
  });

  it('cancels a card not yet shipped, voiding its chip, and refuses to cancel a shipped one', async () => {
    const card = await encoded();
    const cancelled = await f.admin.cancelCard({ cardId: card.cardId, reason: 'PRINTING_ERROR' });
    assert.equal(cancelled.card?.status, CardJobStatus.CANCELLED);
    assert.deepEqual(
      cancelled.card?.voidedChips.map((v) => v.reason),
      ['CARD_CANCELLED'],
    );
    assert.deepEqual(
      (await f.admin.cancelCard({ cardId: card.cardId, reason: 'PRINTING_ERROR' })).card?.version,
      cancelled.card?.version,
      'a repeat changes nothing',
    );
    const shipped = await delivered();
    await assert.rejects(f.admin.cancelCard({ cardId: shipped.cardId, reason: 'X' }), (e) => {
      const d = readErrorDetails(e);
      return (
        d?.code === status.FAILED_PRECONDITION && d.preconditionFailure?.violations[0]?.type === 'CARD_ISSUED'
      );
    });
  });

  it('reprints a card lost in the post: the old one revoked, a new one made for the same application', async () => {
    const card = await encoded();
    await f.admin.recordQualityCheck({ cardId: card.cardId, passed: true });
    await f.admin.shipCard({ cardId: card.cardId, shipmentId: 'SHIP-LOST', destinationUnitCode: '00004' });
    const reprint = (await f.admin.reprintCard({ cardId: card.cardId, reason: RevocationReason.LOST })).card!;
    assert.notEqual(reprint.cardId, card.cardId);
    assert.equal(reprint.reprintOfCardId, card.cardId);
    assert.equal(reprint.applicationId, card.applicationId);
    const again = (await f.admin.reprintCard({ cardId: card.cardId, reason: RevocationReason.LOST })).card!;
    assert.equal(again.cardId, reprint.cardId, 'asked twice, one reprint');
    const old = (await f.admin.getCard({ card: { case: 'cardId', value: card.cardId } })).card!;
    assert.equal(old.status, CardJobStatus.REVOKED);
    assert.equal(old.reprintedAsCardId, reprint.cardId);
    const job = await station.nextJob();
    assert.equal(job.jobId, reprint.cardId);
    await station.client.completeJob({
      jobId: job.jobId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-OPS-REPRINT',
      readBackSha256: readBack(job),
    });
    const current = (await f.admin.getCard({ card: { case: 'applicationId', value: card.applicationId } }))
      .card!;
    assert.equal(current.cardId, reprint.cardId, 'the application’s card is now the reprint');
    assert.notEqual(current.sodSha256, old.sodSha256, 'a new security object, signed afresh');
    const list = fromBinary(RevocationListSchema, (await f.admin.getRevocationList({})).list);
    assert.ok(list.cards.some((c) => c.sodSha256 === old.sodSha256 && c.reason === RevocationReason.LOST));
  });

  it('reprints a card damaged at the factory: the old one superseded and listed, the application kept open', async () => {
    const card = await encoded();
    const reprint = (await f.admin.reprintCard({ cardId: card.cardId, reason: RevocationReason.DAMAGED }))
      .card!;
    const old = (await f.admin.getCard({ card: { case: 'cardId', value: card.cardId } })).card!;
    assert.equal(
      old.status,
      CardJobStatus.REVOKED,
      'superseded, not cancelled: a cancelled card would close the application',
    );
    assert.equal(old.revocationReason, RevocationReason.SUPERSEDED);
    assert.deepEqual(
      old.voidedChips.map((v) => [v.chipSerial, v.reason]),
      [[card.chipSerial, 'REPRINTED']],
    );
    const list = fromBinary(RevocationListSchema, (await f.admin.getRevocationList({})).list);
    assert.ok(
      list.cards.some((c) => c.sodSha256 === old.sodSha256 && c.reason === RevocationReason.SUPERSEDED),
    );
    const job = await station.nextJob();
    assert.equal(job.jobId, reprint.cardId);
    await station.client.completeJob({
      jobId: job.jobId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-OPS-REPRINT-2',
      readBackSha256: readBack(job),
    });
    await f.admin.cancelCard({ cardId: reprint.cardId, reason: 'TEST_DONE' });
  });

  it('revokes a lost card as soon as its replacement is applied for, and supersedes a renewed one on delivery', async () => {
    const lostCard = await delivered();
    await encoded({ reason: ApplicationReason.LOST, replacesCardId: lostCard.cardId });
    const lost = (await f.admin.getCard({ card: { case: 'cardId', value: lostCard.cardId } })).card!;
    assert.equal(lost.status, CardJobStatus.REVOKED);
    assert.equal(lost.revocationReason, RevocationReason.LOST);

    const oldCard = await delivered();
    const renewal = await delivered({ reason: ApplicationReason.RENEWAL, replacesCardId: oldCard.cardId });
    assert.equal(renewal.status, CardJobStatus.DELIVERED);
    const superseded = (await f.admin.getCard({ card: { case: 'cardId', value: oldCard.cardId } })).card!;
    assert.equal(superseded.status, CardJobStatus.REVOKED);
    assert.equal(superseded.revocationReason, RevocationReason.SUPERSEDED);
  });

  it('never revokes another citizen’s card an application names as replaced: holds the new card, logs a late refusal', async () => {
    // Enrollment refuses such an application (CARD_OF_ANOTHER_CITIZEN); here one comes anyway, as
    // from a faulty or compromised upstream: a citizen's replacement naming someone else's card.
    const theirs = await delivered();
    await f.admin.activateCard({ cardId: theirs.cardId });
    const intruder = '0192f000-0000-7000-8000-0000000000c2';
    assert.notEqual(intruder, CITIZEN_ID);
    const applyNaming = async (reason: ApplicationReason): Promise<CardJob> => {
      const applicationId = `app-ops-${++n}`;
      const face = f.enrollment.hold(applicationId, portrait(applicationId));
      await publishApplication(
        f.running.transport,
        applicationChanged({
          applicationId,
          face,
          reason,
          replacesCardId: theirs.cardId,
          citizenId: intruder,
        }),
      );
      return cardOfApplication(applicationId, CardJobStatus.MANUAL_HANDLING);
    };
    const stillActive = async () => {
      const card = (await f.admin.getCard({ card: { case: 'cardId', value: theirs.cardId } })).card!;
      assert.equal(card.status, CardJobStatus.ACTIVATED);
      assert.equal(card.revocationReason, RevocationReason.UNSPECIFIED);
      const list = fromBinary(RevocationListSchema, (await f.admin.getRevocationList({})).list);
      assert.ok(!list.cards.some((c) => c.sodSha256 === theirs.sodSha256), 'not on the revocation list');
    };

    // Reported lost: not revoked at once, and the new card held before any work, for an operator
    // (`cancuoc stuck` lists cards in manual handling with their reason).
    const lost = await applyNaming(ApplicationReason.LOST);
    assert.equal(lost.waitingReason, 'CARD_OF_ANOTHER_CITIZEN');
    assert.equal(lost.citizenId, intruder);
    assert.equal(lost.sodSha256, '', 'nothing personalised');
    const inManualHandling = await f.admin.listCards({
      status: CardJobStatus.MANUAL_HANDLING,
      pageSize: 500,
    });
    assert.ok(inManualHandling.cards.some((c) => c.cardId === lost.cardId));
    await stillActive();

    // A renewal, held the same way; an operator who retries it has it made, and its delivery still
    // leaves the other citizen's card alone, with a warning line of ids only.
    const renewal = await applyNaming(ApplicationReason.RENEWAL);
    assert.equal(renewal.waitingReason, 'CARD_OF_ANOTHER_CITIZEN');
    await stillActive();
    await f.admin.retryCard({ cardId: renewal.cardId });
    const job = await station.nextJob();
    assert.equal(job.jobId, renewal.cardId);
    await station.client.completeJob({
      jobId: job.jobId,
      leaseId: job.leaseId,
      chipSerial: `CHIP-OPS-${n}`,
      readBackSha256: readBack(job),
    });
    await cardOfApplication(renewal.applicationId, CardJobStatus.ENCODED);
    await f.admin.recordQualityCheck({ cardId: renewal.cardId, passed: true });
    await f.admin.shipCard({ cardId: renewal.cardId, shipmentId: `SHIP-${n}`, destinationUnitCode: '00004' });
    const replacement = (await f.admin.deliverCard({ cardId: renewal.cardId, deliveredAtUnitCode: '00004' }))
      .card!;
    assert.equal(replacement.status, CardJobStatus.DELIVERED);
    await stillActive();
    const refused = logs.filter((l) => l['msg'] === 'card-production.replacement_refused');
    assert.deepEqual(
      refused.map((l) => [l['level'], l['cardId'], l['replacesCardId'], l['reason']]),
      [['warn', renewal.cardId, theirs.cardId, 'CARD_OF_ANOTHER_CITIZEN']],
    );
    const line = JSON.stringify(refused[0]);
    for (const personal of [intruder, CITIZEN_ID, CITIZEN.personalId, CITIZEN.givenName])
      assert.ok(!line.includes(personal), 'no personal data in the line');

    await f.admin.cancelCard({ cardId: lost.cardId, reason: 'TEST_DONE' });
  });

  it('reports the queue: by state, by priority, the oldest waiting, the stations connected', async () => {
    station.disconnect();
    const other = new TestStation(f.running.grpc.address, 'ops-depth');
    try {
      for (const priority of [0, 0, 3]) {
        const applicationId = `app-ops-depth-${priority}-${++n}`;
        const face = f.enrollment.hold(applicationId, portrait(applicationId));
        await publishApplication(f.running.transport, applicationChanged({ applicationId, face, priority }));
        await cardOfApplication(applicationId, CardJobStatus.QUEUED);
      }
      f.clock.advance(120_000);
      const depth = await f.admin.getQueueDepth({});
      assert.ok(depth.oldestQueuedSeconds >= 120n, `${depth.oldestQueuedSeconds}`);
      assert.equal(depth.queued, 3n);
      assert.deepEqual(
        depth.queuedByPriority.map((p) => [p.priority, p.queued]),
        [
          [3, 1n],
          [0, 2n],
        ],
      );
      assert.equal(depth.stationsConnected, 0);
      await other.open(3);
      for (let i = 0; i < 3; i++) {
        const job = await other.nextJob();
        await f.admin.cancelCard({ cardId: job.jobId, reason: 'TEST_DONE' });
      }
    } finally {
      other.close();
      station = await new TestStation(f.running.grpc.address, 'ops-station').open(8);
    }
  });

  it('rotates the Document Signer: later cards are signed by the next one, and both are trust anchors', async () => {
    const before = await encoded();
    const rotated = await f.admin.rotateDocumentSigner({});
    assert.equal(rotated.retired?.keyId, before.documentSignerKeyId);
    const after = await encoded();
    assert.equal(after.documentSignerKeyId, rotated.current?.keyId);
    const anchors = await f.admin.getTrustAnchors({});
    assert.deepEqual(
      anchors.documentSigners.map((s) => s.keyId).sort(),
      [before.documentSignerKeyId, after.documentSignerKeyId].sort(),
    );
    const csca = readCertificate(anchors.cscaCertificates[0]!);
    for (const s of anchors.documentSigners)
      assert.ok(readCertificate(s.certificate).isSignedBy(csca.publicKey));
  });

  it('answers bad operator input with field violations, and an unknown card with NOT_FOUND', async () => {
    const card = await encoded();
    await f.admin.recordQualityCheck({ cardId: card.cardId, passed: true });
    await assert.rejects(
      f.admin.shipCard({ cardId: card.cardId, shipmentId: '', destinationUnitCode: 'Hà Nội' }),
      (e) => {
        const d = readErrorDetails(e);
        assert.equal(d?.code, status.INVALID_ARGUMENT);
        assert.deepEqual(d?.badRequest?.fieldViolations.map((v) => v.field).sort(), [
          'destination_unit_code',
          'shipment_id',
        ]);
        return true;
      },
    );
    await assert.rejects(
      f.admin.recordQualityCheck({ cardId: card.cardId, passed: false }),
      (e) => readErrorDetails(e)?.badRequest?.fieldViolations[0]?.field === 'defects',
    );
    await assert.rejects(
      f.admin.revokeCard({ cardId: card.cardId, reason: RevocationReason.UNSPECIFIED }),
      (e) => readErrorDetails(e)?.code === status.INVALID_ARGUMENT,
    );
    await assert.rejects(
      f.admin.getCard({ card: { case: 'cardId', value: '0192f000-0000-7000-8000-00000000dead' } }),
      (e) => readErrorDetails(e)?.code === status.NOT_FOUND,
    );
    await assert.rejects(
      f.admin.getCard({ card: { case: 'cardId', value: 'nope' } }),
      (e) => readErrorDetails(e)?.code === status.INVALID_ARGUMENT,
    );
    await assert.rejects(
      f.admin.listCards({ status: CardJobStatus.UNSPECIFIED }),
      (e) => readErrorDetails(e)?.code === status.INVALID_ARGUMENT,
    );
    await f.admin.cancelCard({ cardId: card.cardId, reason: 'TEST_DONE' });
  });
});
