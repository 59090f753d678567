/**
 * ListUnfinishedWork over gRPC: every card in a non-final status is listed once, oldest first, with
 * its next action and who must take it — personalisation waiting for enrollment, the queue, a
 * station's lease, the operators' steps, delivery and activation, manual handling — and finished
 * cards are not. Real PostgreSQL, Redis and gRPC, the enrollment double down and then up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { identities } from '@cancuoc/auth';
import { closeClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { CardJobStatus, operations } from '@cancuoc/proto';
import { applicationChanged, CITIZEN, CITIZEN_ID, publishApplication } from './test-support/applications.js';
import { clientAs, eventually, startFixture, type Fixture } from './test-support/fixture.js';
import { portrait, sha256Hex } from './test-support/portraits.js';
import { readBack, TestStation } from './test-support/test-station.js';

describe('unfinished cards (ListUnfinishedWork)', () => {
  let f: Fixture;
  let ops: GrpcClient<typeof operations.OperationsService>;
  let station: TestStation | undefined;

  before(async () => {
    f = await startFixture({ enrollmentUp: false, config: { retryBackoffMs: 200 } });
    ops = clientAs(
      operations.OperationsService,
      f.running.grpc.address,
      identities.administrator('ops-01'),
      f.issuer,
    );
  });
  after(async () => {
    station?.close();
    if (ops) closeClient(ops);
    await f?.close();
  });

  const submit = (applicationId: string, statedSha256?: string) => {
    const face = f.enrollment.hold(applicationId, portrait(applicationId), { statedSha256 });
    return publishApplication(f.running.transport, applicationChanged({ applicationId, face }));
  };
  const cardOf = (applicationId: string) =>
    f.admin
      .getCard({ card: { case: 'applicationId', value: applicationId } })
      .then((r) => r.card)
      .catch(() => undefined);
  const inStatus = (applicationId: string, wanted: CardJobStatus) =>
    eventually(async () => {
      const card = await cardOf(applicationId);
      return card?.status === wanted ? card : undefined;
    }, `the card of ${applicationId} to be ${CardJobStatus[wanted]}`);

  async function everything(olderThanSeconds: number): Promise<operations.UnfinishedWork[]> {
    const items: operations.UnfinishedWork[] = [];
    let pageToken = '';
    do {
      const page = await ops.listUnfinishedWork({ olderThanSeconds, pageSize: 3, pageToken });
      assert.equal(page.olderThanSeconds, olderThanSeconds);
      items.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return items;
  }

  it('lists every card not activated, cancelled or revoked, with its next action and who must act', async () => {
    // Enrollment down: the card waits in personalisation, and the platform retries.
    await submit('uw-personalising');
    await eventually(async () => {
      const card = await cardOf('uw-personalising');
      return card?.waitingReason === 'ENROLLMENT_UNAVAILABLE' ? card : undefined;
    }, 'the card to wait for enrollment');
    const waiting = (await everything(0)).find((i) => i.relatedId === 'uw-personalising');
    assert.equal(waiting?.state, 'CARD_JOB_STATUS_PERSONALISING');
    assert.equal(waiting.nextAction, operations.NextAction.PERSONALISE);
    assert.equal(waiting.actor, operations.Actor.PLATFORM);
    assert.equal(waiting.lastError, 'ENROLLMENT_UNAVAILABLE');
    assert.ok(waiting.attempts >= 1);
    assert.ok(Date.parse(waiting.nextAttemptAt) > 0);
    await f.enrollment.start();
    await inStatus('uw-personalising', CardJobStatus.QUEUED);

    // One station, one job at a time: each card is taken to its status in turn.
    station = await new TestStation(f.running.grpc.address, 'uw-station').open(1);
    let chips = 0;
    const encode = async () => {
      const job = await station!.nextJob();
      await station!.client.completeJob({
        jobId: job.jobId,
        leaseId: job.leaseId,
        chipSerial: `CHIP-UW-${++chips}`,
        readBackSha256: readBack(job),
      });
    };
    await encode(); // uw-personalising, now queued first
    const steps: [string, (cardId: string) => Promise<unknown>][] = [
      ['uw-encoded', async () => undefined],
      ['uw-checked', (cardId) => f.admin.recordQualityCheck({ cardId, passed: true })],
      [
        'uw-shipped',
        async (cardId) => {
          await f.admin.recordQualityCheck({ cardId, passed: true });
          await f.admin.shipCard({ cardId, shipmentId: 'UW-1', destinationUnitCode: '00004' });
        },
      ],
      [
        'uw-delivered',
        async (cardId) => {
          await f.admin.recordQualityCheck({ cardId, passed: true });
          await f.admin.shipCard({ cardId, shipmentId: 'UW-2', destinationUnitCode: '00004' });
          await f.admin.deliverCard({ cardId, deliveredAtUnitCode: '00004' });
        },
      ],
      [
        'uw-activated',
        async (cardId) => {
          await f.admin.recordQualityCheck({ cardId, passed: true });
          await f.admin.shipCard({ cardId, shipmentId: 'UW-3', destinationUnitCode: '00004' });
          await f.admin.deliverCard({ cardId, deliveredAtUnitCode: '00004' });
          await f.admin.activateCard({ cardId });
        },
      ],
      ['uw-cancelled', (cardId) => f.admin.cancelCard({ cardId, reason: 'TEST_DONE' })],
    ];
    for (const [applicationId, then] of steps) {
      await submit(applicationId);
      await encode();
      const card = await inStatus(applicationId, CardJobStatus.ENCODED);
      await then(card.cardId);
    }
    // The station keeps its one job in hand; the next waits in the queue.
    await submit('uw-encoding');
    await station.nextJob();
    await inStatus('uw-encoding', CardJobStatus.ENCODING);
    await submit('uw-queued');
    await inStatus('uw-queued', CardJobStatus.QUEUED);
    await submit('uw-manual', sha256Hex(portrait('someone else')));
    await inStatus('uw-manual', CardJobStatus.MANUAL_HANDLING);

    const items = await everything(0);
    const ids = items.map((i) => i.id);
    assert.equal(new Set(ids).size, ids.length, 'nothing listed twice');
    const since = items.map((i) => Date.parse(i.since));
    assert.deepEqual(
      since,
      [...since].sort((a, b) => a - b),
      'oldest first',
    );
    const expected: [string, string, operations.NextAction, operations.Actor][] = [
      ['uw-personalising', 'ENCODED', operations.NextAction.QUALITY_CHECK, operations.Actor.OPERATOR],
      ['uw-encoded', 'ENCODED', operations.NextAction.QUALITY_CHECK, operations.Actor.OPERATOR],
      ['uw-checked', 'QUALITY_CHECKED', operations.NextAction.SHIP, operations.Actor.OPERATOR],
      ['uw-shipped', 'SHIPPED', operations.NextAction.DELIVER, operations.Actor.DELIVERY],
      ['uw-delivered', 'DELIVERED', operations.NextAction.ACTIVATE, operations.Actor.DELIVERY],
      ['uw-encoding', 'ENCODING', operations.NextAction.FINISH_ENCODING, operations.Actor.ENCODING_STATION],
      ['uw-queued', 'QUEUED', operations.NextAction.ENCODE, operations.Actor.ENCODING_STATION],
      [
        'uw-manual',
        'MANUAL_HANDLING',
        operations.NextAction.RESOLVE_MANUAL_HANDLING,
        operations.Actor.OPERATOR,
      ],
    ];
    for (const [applicationId, state, action, actor] of expected) {
      const listed = items.find((i) => i.relatedId === applicationId);
      const card = await cardOf(applicationId);
      assert.ok(listed && card, `${applicationId} listed`);
      assert.equal(listed.id, card.cardId);
      assert.equal(listed.kind, operations.WorkKind.CARD);
      assert.equal(listed.state, `CARD_JOB_STATUS_${state}`);
      assert.equal(listed.nextAction, action, applicationId);
      assert.equal(listed.actor, actor, applicationId);
      assert.equal(listed.since, card.changedAt);
    }
    assert.equal(items.find((i) => i.relatedId === 'uw-encoding')?.stationId, 'uw-station');
    assert.equal(items.find((i) => i.relatedId === 'uw-queued')?.stationId, '');
    assert.equal(items.find((i) => i.relatedId === 'uw-manual')?.lastError, 'PORTRAIT_HASH_MISMATCH');
    for (const finished of ['uw-activated', 'uw-cancelled'])
      assert.ok(!items.some((i) => i.relatedId === finished), `${finished} is finished`);
    const text = JSON.stringify(items, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    assert.ok(!text.includes(CITIZEN_ID) && !text.includes(CITIZEN.personalId), 'no personal data');

    // Nothing here has waited an hour; unset, the service's default threshold applies.
    assert.deepEqual(await everything(3600), []);
    const byDefault = await ops.listUnfinishedWork({});
    assert.equal(byDefault.olderThanSeconds, 600);
    assert.deepEqual(byDefault.items, []);
    const refused = await ops.listUnfinishedWork({ pageToken: 'bm90LWEtdG9rZW4' }).then(
      () => assert.fail('a made-up token was taken'),
      (e: unknown) => readErrorDetails(e),
    );
    assert.equal(refused?.code, status.INVALID_ARGUMENT);
    assert.equal(refused?.badRequest?.fieldViolations[0]?.field, 'page_token');
  });
});
