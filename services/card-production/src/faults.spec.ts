/**
 * Card production when things break: a station process killed with a job in hand, Redis
 * unreachable, enrollment down, a portrait that is not the one announced. Real PostgreSQL, real
 * gRPC, the station simulator as a separate process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureRun, operatorCommands } from '@cancuoc/operations';
import { CardJobStatus } from '@cancuoc/proto';
import { StationSimulator } from './station/simulator.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { eventually, startFixture, stationTokens, type Fixture } from './test-support/fixture.js';
import { portrait, sha256Hex } from './test-support/portraits.js';
import { readBack, TestStation } from './test-support/test-station.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'station', 'cli.js');
const LEASE_MS = 60_000;
const command = (name: string) => operatorCommands.find((c) => c.name === name)!;

async function submit(f: Fixture, applicationId: string, options: { statedSha256?: string } = {}) {
  const image = portrait(applicationId);
  const face = f.enrollment.hold(applicationId, image, { statedSha256: options.statedSha256 });
  await publishApplication(f.running.transport, applicationChanged({ applicationId, face }));
}

function cardOf(f: Fixture, applicationId: string) {
  return f.admin
    .getCard({ card: { case: 'applicationId', value: applicationId } })
    .then((r) => r.card)
    .catch(() => undefined);
}

const inStatus = (f: Fixture, applicationId: string, status: CardJobStatus) =>
  eventually(async () => {
    const card = await cardOf(f, applicationId);
    return card?.status === status ? card : undefined;
  }, `the card of ${applicationId} to reach ${CardJobStatus[status]}`);

describe('faults', () => {
  describe('a station killed in the middle of a job', () => {
    let f: Fixture;
    before(async () => {
      // The simulator process gets its own credential from the platform's development issuer file.
      f = await startFixture({ config: { leaseMs: LEASE_MS }, embeddedIssuer: true });
    });
    after(() => f?.close());

    it('loses nothing: the job is dispatched again and encoded exactly once', async () => {
      await submit(f, 'app-killed');
      await inStatus(f, 'app-killed', CardJobStatus.QUEUED);
      const station = spawn(
        process.execPath,
        [
          CLI,
          '--address',
          f.running.grpc.address,
          '--csca',
          join(f.config.keyDir!, 'csca.cert.pem'),
          '--station-id',
          'doomed',
          '--data-dir',
          f.platformDir!,
          '--encode-ms',
          '600000',
          '--json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } },
      );
      let output = '';
      station.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await eventually(async () => output.includes('"job-received"'), 'the station to receive the job');
      const exited = once(station, 'exit');
      station.kill('SIGKILL');
      await exited;
      const encoding = await cardOf(f, 'app-killed');
      assert.equal(encoding?.status, CardJobStatus.ENCODING);
      assert.equal(encoding?.stationId, 'doomed');

      f.clock.advance(LEASE_MS + 1_000);
      await f.running.sweepLeases();
      const survivor = new StationSimulator({
        address: f.running.grpc.address,
        tokens: stationTokens('survivor', f.issuer),
        capacity: 1,
        trustedCscas: [f.csca],
        maxJobs: 1,
      });
      survivor.start();
      assert.deepEqual(await survivor.done, { completed: 1, failed: 0, voided: 0 });
      const card = await cardOf(f, 'app-killed');
      assert.equal(card?.status, CardJobStatus.ENCODED);
      assert.equal(card?.attempts, 1, 'the lost lease counts as one attempt');
      const history = (await f.admin.getCard({ card: { case: 'cardId', value: card!.cardId } })).history.map(
        (h) => h.change,
      );
      assert.deepEqual(
        history.filter((h) => h !== 'CardPersonalised'),
        [
          'CardRequested',
          'CardQueued',
          'JobLeased',
          'LeaseExpired',
          'CardQueued',
          'JobLeased',
          'CardEncoded',
        ],
      );
    });
  });

  describe('Redis unreachable', () => {
    let f: Fixture;
    before(async () => {
      f = await startFixture({ config: { redisUrl: 'redis://127.0.0.1:1', leaseMs: LEASE_MS } });
    });
    after(() => f?.close());

    it('still produces cards; heartbeats extend leases in PostgreSQL, and a silent lease still expires', async () => {
      await submit(f, 'app-no-redis');
      await inStatus(f, 'app-no-redis', CardJobStatus.QUEUED);
      const s = await new TestStation(f.running.grpc.address, 'st-no-redis').open(1);
      try {
        const job = await s.nextJob();
        f.clock.advance(LEASE_MS * 0.75);
        const { leases } = await s.client.heartbeat({ leaseIds: [job.leaseId] });
        assert.equal(leases[0]?.held, true);
        f.clock.advance(LEASE_MS * 0.75);
        await f.running.sweepLeases();
        assert.equal(
          (await cardOf(f, 'app-no-redis'))?.status,
          CardJobStatus.ENCODING,
          'the heartbeat moved the deadline in the stream',
        );
        const depth = await f.admin.getQueueDepth({});
        assert.equal(depth.stationsConnected, 1, 'this instance still counts its own stations');
        await s.client.completeJob({
          jobId: job.jobId,
          leaseId: job.leaseId,
          chipSerial: 'CHIP-NR-1',
          readBackSha256: readBack(job),
        });
        const card = await inStatus(f, 'app-no-redis', CardJobStatus.ENCODED);
        const history = (await f.admin.getCard({ card: { case: 'cardId', value: card.cardId } })).history.map(
          (h) => h.change,
        );
        assert.ok(history.includes('LeaseExtended'));
      } finally {
        s.close();
      }

      await submit(f, 'app-no-redis-silent');
      await inStatus(f, 'app-no-redis-silent', CardJobStatus.QUEUED);
      const silent = await new TestStation(f.running.grpc.address, 'st-silent').open(1);
      try {
        const job = await silent.nextJob();
        silent.disconnect();
        f.clock.advance(LEASE_MS + 1_000);
        await f.running.sweepLeases();
        await inStatus(f, 'app-no-redis-silent', CardJobStatus.QUEUED);
        await assert.rejects(
          silent.client.completeJob({
            jobId: job.jobId,
            leaseId: job.leaseId,
            chipSerial: 'CHIP-NR-2',
            readBackSha256: readBack(job),
          }),
        );
        await f.admin.cancelCard({ cardId: job.jobId, reason: 'TEST_DONE' });
      } finally {
        silent.close();
      }
    });
  });

  describe('enrollment down, and a portrait that is not the one announced', () => {
    let f: Fixture;
    before(async () => {
      // `cancuoc` commands find the development issuer in the platform folder, as an operator's do.
      f = await startFixture({ enrollmentUp: false, config: { retryBackoffMs: 200 }, embeddedIssuer: true });
    });
    after(() => f?.close());

    it('waits visibly while enrollment cannot be reached, and personalises once it can', async () => {
      await submit(f, 'app-enrollment-down');
      const waiting = await eventually(async () => {
        const card = await cardOf(f, 'app-enrollment-down');
        return card?.waitingReason === 'ENROLLMENT_UNAVAILABLE' ? card : undefined;
      }, 'the card to wait for enrollment');
      assert.equal(waiting.status, CardJobStatus.PERSONALISING);
      assert.ok(Date.parse(waiting.nextAttemptAt) > 0);
      const depth = await f.admin.getQueueDepth({});
      assert.equal(depth.personalising, 1n);
      assert.equal(depth.waitingForEnrollment, 1n);
      await f.enrollment.start();
      const queued = await inStatus(f, 'app-enrollment-down', CardJobStatus.QUEUED);
      assert.equal(queued.waitingReason, '');
      await f.admin.cancelCard({ cardId: queued.cardId, reason: 'TEST_DONE' });
    });

    it('sends a job whose portrait does not match its announced hash to manual handling', async () => {
      await submit(f, 'app-wrong-portrait', { statedSha256: sha256Hex(portrait('someone else')) });
      const card = await inStatus(f, 'app-wrong-portrait', CardJobStatus.MANUAL_HANDLING);
      assert.equal(card.waitingReason, 'PORTRAIT_HASH_MISMATCH');
      assert.equal(f.errors.length, 0, JSON.stringify(f.errors.map((e) => [e.component, String(e.error)])));

      // What `cancuoc stuck` shows the operator: the job by id, its state and reason, nothing personal.
      const env = {
        CANCUOC_CARD_PRODUCTION_ADDRESS: f.running.grpc.address,
        CANCUOC_ENROLLMENT_ADDRESS: '127.0.0.1:1',
        CANCUOC_DATA_DIR: f.platformDir!,
      };
      const stuck = await captureRun(command('stuck'), ['--older-than', '0s'], env);
      assert.equal(stuck.code, 1, 'enrollment could not be asked');
      assert.match(stuck.stderr, /enrollment is unreachable at 127\.0\.0\.1:1/);
      const line = stuck.stdout.split('\n').find((l) => l.includes(card.cardId));
      assert.match(
        line ?? '',
        /^card-production +card +\S+ +- +MANUAL_HANDLING +resolve-manual-handling +operator +PORTRAIT_HASH_MISMATCH, 0 attempts/,
      );
      assert.ok(
        !stuck.stdout.includes(card.citizenId) && !stuck.stdout.includes(card.documentNumber || '-none-'),
      );
      const audit = await captureRun(command('audit'), ['verify', '--service', 'card-production'], env);
      assert.equal(audit.code, 0, audit.stderr);
      assert.match(audit.stdout, /^card-production: intact, \d+ entries checked/);
      const dead = await captureRun(command('redrive'), ['--list', '--service', 'card-production'], env);
      assert.equal(dead.code, 0, dead.stderr);
      assert.match(
        dead.stdout,
        /card-production +internal\.enrollment\.application\.v1 +card-production\.applications +0/,
      );
    });
  });
});
