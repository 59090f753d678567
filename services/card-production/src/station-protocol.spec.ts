/**
 * The station protocol end to end over real gRPC, on PostgreSQL and Redis: leases, completions that
 * come twice or late, failures and retries, heartbeats, capacity and priority, a station acting on
 * another's lease, and bad input. (Who may call which RPC at all: authorization.spec.ts.)
 * The clock is moved by the test, so lease expiry needs no waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { createLogger } from '@cancuoc/observability';
import { passiveAuthentication } from '@cancuoc/icao9303';
import { CardJobStatus, EncodingFailureReason, JobDisposition } from '@cancuoc/proto';
import { dataGroupsOf } from './domain/personalisation/chip-image.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { eventually, startFixture, stationClient, type Fixture } from './test-support/fixture.js';
import { portrait } from './test-support/portraits.js';
import { filesOf, readBack, TestStation } from './test-support/test-station.js';

const LEASE_MS = 60_000;

function code(error: unknown): number | undefined {
  return readErrorDetails(error)?.code;
}

describe('encoding stations over gRPC (PostgreSQL, Redis)', () => {
  let f: Fixture;
  const stations: TestStation[] = [];
  let n = 0;
  /** The service's log lines (`auth.refused` among them). */
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    f = await startFixture({
      config: { leaseMs: LEASE_MS, maxAttempts: 3 },
      options: {
        logger: createLogger({
          service: 'card-production',
          write: (line) => void logged.push(JSON.parse(line)),
        }),
      },
    });
  });
  after(async () => {
    for (const s of stations) s.close();
    await f?.close();
  });

  const station = (id: string) => {
    const s = new TestStation(f.running.grpc.address, id);
    stations.push(s);
    return s;
  };

  /** Submits an application and waits until its card is in the queue; returns the card id. */
  async function submit(priority = 0): Promise<string> {
    const applicationId = `app-protocol-${++n}`;
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(f.running.transport, applicationChanged({ applicationId, face, priority }));
    const card = await eventually(async () => {
      const reply = await f.admin
        .getCard({ card: { case: 'applicationId', value: applicationId } })
        .catch(() => undefined);
      return reply?.card?.status === CardJobStatus.QUEUED ? reply.card : undefined;
    }, `the card of ${applicationId} to be queued`);
    return card.cardId;
  }

  async function statusOf(cardId: string) {
    return (await f.admin.getCard({ card: { case: 'cardId', value: cardId } })).card!;
  }

  async function expireLeases() {
    f.clock.advance(LEASE_MS + 1_000);
    await f.running.sweepLeases();
  }

  it('says it listens in plaintext, on loopback only (no certificates: the tests’ and the embedded platform’s case)', () => {
    const line = logged.find((l) => l.msg === 'card-production.grpc_transport');
    assert.equal(line?.transport, 'plaintext-loopback');
  });

  it('streams a card to a station with a lease, and accepts its completion once', async () => {
    const cardId = await submit();
    const a = await station('st-a').open(1);
    assert.equal(a.opened?.stationId, 'st-a');
    assert.equal(a.opened?.leaseSeconds, LEASE_MS / 1000);
    const job = await a.nextJob();
    assert.equal(job.jobId, cardId);
    assert.equal(job.attempt, 1);
    assert.ok(Date.parse(job.leaseDeadline) > f.clock.now().getTime());
    assert.deepEqual([...job.chip!.applicationIdentifier], [0xa0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]);
    const files = filesOf(job);
    const pa = passiveAuthentication({
      sod: files.efSod,
      dataGroups: dataGroupsOf(files),
      trustedCscas: [f.csca],
    });
    assert.equal(pa.valid, true, JSON.stringify(pa.failures));

    const report = {
      jobId: cardId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-A-0001',
      readBackSha256: readBack(job),
    };
    assert.deepEqual(await a.client.completeJob(report), {
      cardId,
      alreadyCompleted: false,
      $typeName: 'cancuoc.cardproduction.v1.CompleteJobResponse',
    });
    const again = await a.client.completeJob(report);
    assert.equal(again.alreadyCompleted, true, 'a repeated completion changes nothing');
    const card = await statusOf(cardId);
    assert.equal(card.status, CardJobStatus.ENCODED);
    assert.equal(card.chipSerial, 'CHIP-A-0001');
    assert.deepEqual(card.voidedChips, []);
    a.close();
  });

  it('re-dispatches a job whose lease expired, and refuses the old lease’s late completion', async () => {
    const cardId = await submit();
    const a = await station('st-b1').open(1);
    const first = await a.nextJob();
    a.disconnect(); // the station crashed with the job in hand
    await expireLeases();
    assert.equal((await statusOf(cardId)).status, CardJobStatus.QUEUED);
    const b = await station('st-b2').open(1);
    const second = await b.nextJob();
    assert.equal(second.jobId, cardId);
    assert.notEqual(second.leaseId, first.leaseId);
    assert.equal(second.attempt, 2);
    assert.deepEqual(filesOf(second), filesOf(first), 'the same chip data, signed once');

    const late = {
      jobId: cardId,
      leaseId: first.leaseId,
      chipSerial: 'CHIP-LATE-1',
      readBackSha256: readBack(first),
    };
    for (let i = 0; i < 2; i++) {
      await assert.rejects(a.client.completeJob(late), (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.FAILED_PRECONDITION);
        assert.equal(details?.errorInfo?.reason, 'LEASE_NOT_HELD');
        assert.equal(details?.errorInfo?.metadata.chip, 'DESTROY');
        return true;
      });
    }
    await b.client.completeJob({
      jobId: cardId,
      leaseId: second.leaseId,
      chipSerial: 'CHIP-B-0001',
      readBackSha256: readBack(second),
    });
    // After the card is encoded, the late one is still refused: exactly one chip is the card.
    await assert.rejects(a.client.completeJob(late), (e) => code(e) === status.FAILED_PRECONDITION);
    const card = await statusOf(cardId);
    assert.equal(card.status, CardJobStatus.ENCODED);
    assert.equal(card.chipSerial, 'CHIP-B-0001');
    assert.deepEqual(
      card.voidedChips.map((v) => [v.chipSerial, v.reason]),
      [['CHIP-LATE-1', 'LEASE_NOT_HELD']],
      'the late chip is recorded once, to be destroyed',
    );
    a.close();
    b.close();
  });

  it('retries a failing job up to N times, then waits for an operator who retries it', async () => {
    const cardId = await submit();
    const s = await station('st-c').open(1);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await s.nextJob();
      assert.equal(job.attempt, attempt);
      const failure = {
        jobId: cardId,
        leaseId: job.leaseId,
        reason: EncodingFailureReason.CHIP_WRITE_ERROR,
        detail: 'write timeout',
        chipSerial: `CHIP-C-${attempt}`,
      };
      const reply = await s.client.failJob(failure);
      const again = await s.client.failJob(failure);
      assert.equal(again.disposition, reply.disposition, 'a repeated failure is answered the same');
      assert.equal(reply.disposition, attempt < 3 ? JobDisposition.REQUEUED : JobDisposition.MANUAL_HANDLING);
      assert.equal(reply.attemptsLeft, 3 - attempt);
    }
    let card = await statusOf(cardId);
    assert.equal(card.status, CardJobStatus.MANUAL_HANDLING);
    assert.equal(card.waitingReason, 'ATTEMPTS_EXHAUSTED');
    assert.equal(card.voidedChips.length, 3);
    card = (await f.admin.retryCard({ cardId })).card!;
    assert.equal(card.status, CardJobStatus.QUEUED);
    assert.equal(card.attempts, 0);
    const job = await s.nextJob();
    assert.equal(job.attempt, 4);
    await s.client.completeJob({
      jobId: cardId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-C-OK',
      readBackSha256: readBack(job),
    });
    assert.equal((await statusOf(cardId)).status, CardJobStatus.ENCODED);
    s.close();
  });

  it('fails the attempt when the read-back hash is not the files’ hash, voiding the chip', async () => {
    const cardId = await submit();
    const s = await station('st-d').open(1);
    const job = await s.nextJob();
    const wrong = {
      jobId: cardId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-D-BAD',
      readBackSha256: '0'.repeat(64),
    };
    await assert.rejects(
      s.client.completeJob(wrong),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'READ_BACK_MISMATCH',
    );
    await assert.rejects(
      s.client.completeJob(wrong),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'READ_BACK_MISMATCH',
    );
    const retry = await s.nextJob();
    assert.equal(retry.attempt, 2);
    await s.client.completeJob({
      jobId: cardId,
      leaseId: retry.leaseId,
      chipSerial: 'CHIP-D-OK',
      readBackSha256: readBack(retry),
    });
    const card = await statusOf(cardId);
    assert.equal(card.chipSerial, 'CHIP-D-OK');
    assert.deepEqual(
      card.voidedChips.map((v) => v.reason),
      ['READ_BACK_MISMATCH'],
    );
    s.close();
  });

  it('keeps a heartbeating station’s lease past its first deadline, and ends a silent one’s', async () => {
    const cardId = await submit();
    const s = await station('st-e').open(1);
    const job = await s.nextJob();
    for (let i = 0; i < 3; i++) {
      f.clock.advance(LEASE_MS / 2);
      const { leases } = await s.client.heartbeat({ leaseIds: [job.leaseId] });
      assert.equal(leases[0]?.held, true);
      assert.ok(Date.parse(leases[0]!.deadline) > f.clock.now().getTime() + LEASE_MS / 2);
      await f.running.sweepLeases();
    }
    assert.equal(
      (await statusOf(cardId)).status,
      CardJobStatus.ENCODING,
      '90 s after a 60 s lease, still held',
    );
    s.disconnect();
    await expireLeases();
    assert.equal((await statusOf(cardId)).status, CardJobStatus.QUEUED);
    const { leases } = await s.client.heartbeat({ leaseIds: [job.leaseId] });
    assert.deepEqual(
      leases.map((l) => [l.held, l.deadline]),
      [[false, '']],
    );
    await s.open(1);
    const again = await s.nextJob();
    await s.client.completeJob({
      jobId: cardId,
      leaseId: again.leaseId,
      chipSerial: 'CHIP-E-OK',
      readBackSha256: readBack(again),
    });
    s.close();
  });

  it('never sends a station more jobs than its capacity, and sends the most urgent first', async () => {
    const low = await submit(0);
    const urgent = await submit(5);
    const middle = await submit(1);
    const s = await station('st-f').open(2);
    const first = await s.nextJob();
    const second = await s.nextJob();
    assert.deepEqual([first.jobId, second.jobId], [urgent, middle]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(s.jobs.length, 2, 'a full station gets nothing more');
    await s.client.completeJob({
      jobId: urgent,
      leaseId: first.leaseId,
      chipSerial: 'CHIP-F-1',
      readBackSha256: readBack(first),
    });
    const third = await s.nextJob();
    assert.equal(third.jobId, low);
    for (const job of [second, third]) {
      await s.client.completeJob({
        jobId: job.jobId,
        leaseId: job.leaseId,
        chipSerial: `CHIP-F-${job.attempt}${job.jobId.slice(-4).toUpperCase()}`,
        readBackSha256: readBack(job),
      });
    }
    s.close();
  });

  it('counts leases held from an earlier stream against the capacity of the next', async () => {
    const one = await submit();
    const two = await submit();
    const s = await station('st-g').open(1);
    const job = await s.nextJob();
    s.disconnect();
    await s.open(1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(s.jobs.length, 1, 'the job in hand still fills the capacity');
    await s.client.completeJob({
      jobId: job.jobId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-G-1',
      readBackSha256: readBack(job),
    });
    const next = await s.nextJob();
    assert.deepEqual([job.jobId, next.jobId].sort(), [one, two].sort());
    await s.client.completeJob({
      jobId: next.jobId,
      leaseId: next.leaseId,
      chipSerial: 'CHIP-G-2',
      readBackSha256: readBack(next),
    });
    s.close();
  });

  it('lets a station settle and heartbeat only the leases granted to it, and streams it only its own jobs', async () => {
    const cardId = await submit();
    const a = await station('st-own-a').open(1);
    const job = await a.nextJob();
    const b = await station('st-own-b').open(2);
    assert.equal(b.opened?.stationId, 'st-own-b', 'the stream is the calling station’s, from its token');
    const before = await f.admin.getCard({ card: { case: 'cardId', value: cardId } });
    assert.equal(before.card?.stationId, 'st-own-a');
    const report = {
      jobId: cardId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-OWN-B',
      readBackSha256: readBack(job),
    };
    const notHolder = (rpc: string) => (e: unknown) => {
      const details = readErrorDetails(e);
      assert.equal(details?.code, status.PERMISSION_DENIED, rpc);
      assert.equal(details?.errorInfo?.reason, 'LEASE_OF_ANOTHER_STATION', rpc);
      return true;
    };
    await assert.rejects(b.client.completeJob(report), notHolder('CompleteJob'));
    await assert.rejects(
      b.client.failJob({ ...report, reason: EncodingFailureReason.CHIP_WRITE_ERROR, detail: 'not mine' }),
      notHolder('FailJob'),
    );
    await assert.rejects(b.client.heartbeat({ leaseIds: [job.leaseId] }), notHolder('Heartbeat'));
    assert.deepEqual(
      (await b.client.heartbeat({ leaseIds: [] })).leases,
      [],
      'its own (empty) heartbeat is fine',
    );

    const after = await f.admin.getCard({ card: { case: 'cardId', value: cardId } });
    assert.deepEqual(
      after.card,
      before.card,
      'nothing changed: same lease, attempts, deadline, no voided chip',
    );
    assert.equal(after.history.length, before.history.length, 'nothing appended');
    assert.equal(b.jobs.length, 0, 'the job leased to A never reaches B’s stream');
    const refused = logged.filter((l) => l.msg === 'auth.refused' && l.reason === 'LEASE_OF_ANOTHER_STATION');
    assert.deepEqual(
      refused.map((l) => [l['rpc.method'], l['caller.subject'], l.outcome]),
      ['CompleteJob', 'FailJob', 'Heartbeat'].map((rpc) => [
        `cancuoc.cardproduction.v1.EncodingStationService/${rpc}`,
        'station:st-own-b',
        'denied',
      ]),
      'each reach for another station’s lease is a refusal like the guard’s (metric, log, rate limit)',
    );

    await a.client.completeJob({ ...report, chipSerial: 'CHIP-OWN-A' });
    const card = await statusOf(cardId);
    assert.equal(card.status, CardJobStatus.ENCODED);
    assert.equal(card.chipSerial, 'CHIP-OWN-A');
    assert.deepEqual(card.voidedChips, []);
    a.close();
    b.close();
  });

  it('refuses malformed reports, naming the fields', async () => {
    const cardId = await submit();
    const s = await station('st-h').open(1);
    const job = await s.nextJob();
    await assert.rejects(
      s.client.completeJob({
        jobId: cardId,
        leaseId: job.leaseId,
        chipSerial: 'chip h',
        readBackSha256: 'nope',
      }),
      (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        assert.deepEqual(details?.badRequest?.fieldViolations.map((v) => v.field).sort(), [
          'chip_serial',
          'read_back_sha256',
        ]);
        return true;
      },
    );
    await assert.rejects(
      s.client.completeJob({
        jobId: 'not-a-uuid',
        leaseId: job.leaseId,
        chipSerial: 'CHIP-1',
        readBackSha256: readBack(job),
      }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
    await assert.rejects(
      s.client.failJob({ jobId: cardId, leaseId: job.leaseId, reason: EncodingFailureReason.UNSPECIFIED }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
    const other = stationClient(f.running.grpc.address, 'st-h2');
    await assert.rejects(
      async () => {
        for await (const _ of other.streamJobs({ capacity: 0 })) break;
      },
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
    await s.client.completeJob({
      jobId: cardId,
      leaseId: job.leaseId,
      chipSerial: 'CHIP-H-1',
      readBackSha256: readBack(job),
    });
    other[Symbol.dispose]();
    s.close();
  });

  it('makes one card of an application however often its events arrive', async () => {
    const applicationId = 'app-protocol-redelivered';
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    const event = applicationChanged({ applicationId, face, version: 6 });
    const eventId = await publishApplication(f.running.transport, event);
    await publishApplication(f.running.transport, event, eventId);
    await publishApplication(f.running.transport, applicationChanged({ applicationId, face, version: 7 }));
    const card = await eventually(async () => {
      const reply = await f.admin
        .getCard({ card: { case: 'applicationId', value: applicationId } })
        .catch(() => undefined);
      return reply?.card?.status === CardJobStatus.QUEUED ? reply.card : undefined;
    }, 'the card to be queued');
    await eventually(async () => {
      const [row] = await f.running.db.query<{ v: string }>(
        'SELECT application_version::text AS v FROM cp_applications WHERE application_id = $1',
        [applicationId],
      );
      return row?.v === '7';
    }, 'the last event to be consumed');
    const [count] = await f.running.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM cp_jobs WHERE application_id = $1',
      [applicationId],
    );
    assert.equal(count?.n, '1');
    await f.admin.cancelCard({ cardId: card.cardId, reason: 'TEST_DONE' });
  });
});
