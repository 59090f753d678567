/**
 * The visible pipeline: a step stuck on a failed dependency shows in the stuck list with its
 * attempts and error, the re-processor retries it with growing pauses, and it recovers on its own
 * once the dependency is back — the registry (its process stopped and restarted) and the matcher
 * (an ABIS that is unreachable for a while).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { closeClient, createClient, readErrorDetails, status } from '@cancuoc/grpc';
import {
  ApplicationReason,
  ApplicationStage,
  EnrollmentService,
  FingerprintFormat,
  PipelineStep,
  RegistryService,
} from '@cancuoc/proto';
import { captureRun, operatorCommands } from '@cancuoc/operations';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { startEnrollment, type RunningEnrollment } from './app.js';
import { DependencyUnavailableError } from './application/errors.js';
import { testConfig } from './test-support/config.js';
import { asClerk, asSupervisor, atStation } from './test-support/callers.js';
import { fingerImageRecord, jpegImage, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import {
  eventually,
  faceUpload,
  fingerprintUpload,
  registerCitizen,
  sha256,
  type EnrollmentClient,
} from './test-support/flow.js';
import { startRegistryProcess, type RegistryProcess } from './test-support/registry-process.js';

const STATION = `dn-${randomBytes(3).toString('hex')}`;

const command = (name: string) => operatorCommands.find((c) => c.name === name)!;

describe('pipeline: stuck steps and the re-processor (registry process, PostgreSQL)', () => {
  let enrollmentDb: TestDatabase;
  let registryProcess: RegistryProcess;
  let running: RunningEnrollment;
  let registry: ReturnType<typeof createClient<typeof RegistryService>>;
  let operator: EnrollmentClient;
  let supervisor: EnrollmentClient;
  const matcher = {
    down: false,
    gallery: [] as { applicationId: string; citizenId: string; hashes: string[] }[],
  };

  before(async () => {
    enrollmentDb = await createTestDatabase('enrollment_pipeline');
    registryProcess = await startRegistryProcess();
    const config = testConfig({
      databaseUrl: enrollmentDb.url,
      auth: { mode: 'issuer', issuer: registryProcess.issuer },
      registryAddress: registryProcess.address,
      retryInitialMs: 150,
      retryMaxMs: 1_200,
      reprocessIntervalMs: 50,
    });
    running = await startEnrollment(config, {
      migrate: true,
      // An ABIS behind the port that can be unreachable: the built-in matcher while `down` is false.
      // A stand-in for an external ABIS behind the port: unreachable while `down`; minutiae go to
      // the built-in matcher, finger images are compared by their SHA-256 against those it has seen
      // (a real ABIS extracts and matches features; the plug-in path is what is tested here).
      matcher: (builtIn) => ({
        name: 'test-abis',
        comparesImages: true,
        search: async (probe) => {
          if (matcher.down) throw new DependencyUnavailableError('MATCHER_UNAVAILABLE');
          if (probe.prints.kind === 'minutiae') return builtIn.search(probe);
          const hashes = probe.prints.record.images.map((i) => `${i.position}:${sha256(i.data)}`);
          const candidates = matcher.gallery
            .filter((g) => g.citizenId !== probe.citizenId)
            .map((g) => ({ ...g, matchingFingers: g.hashes.filter((h) => hashes.includes(h)).length }))
            .filter((g) => g.matchingFingers >= 2)
            .map((g) => ({
              applicationId: g.applicationId,
              citizenId: g.citizenId,
              score: 1,
              matchingFingers: g.matchingFingers,
            }));
          const comparedWith = matcher.gallery.length;
          matcher.gallery.push({ applicationId: probe.applicationId, citizenId: probe.citizenId, hashes });
          return { comparedWith, candidates };
        },
      }),
    });
    registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(registryProcess.issuer),
      defaultTimeoutMs: 20_000,
    });
    operator = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => atStation(registryProcess.issuer, 'dn-001', STATION),
      defaultTimeoutMs: 30_000,
    });
    supervisor = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => asSupervisor(registryProcess.issuer, 'dn-100'),
      defaultTimeoutMs: 30_000,
    });
  });

  after(async () => {
    for (const client of [registry, operator, supervisor]) if (client) closeClient(client);
    await running?.stop();
    await registryProcess?.close();
    await enrollmentDb?.drop();
  });

  const view = async (id: string) => (await supervisor.getApplication({ applicationId: id })).application!;

  it('registry down: the application waits in STARTED, is listed as stuck, is retried with backoff and recovers', async () => {
    await registerCitizen(registry, '001190000201');
    await registryProcess.stop();
    const started = (
      await operator.startApplication({ personalId: '001190000201', reason: ApplicationReason.FIRST_ISSUE })
    ).application!;
    const id = started.application!.applicationId;
    assert.equal(started.application!.stage, ApplicationStage.STARTED);
    assert.equal(started.pendingStep?.step, PipelineStep.REGISTER_LOOKUP);
    assert.equal(started.pendingStep?.attempts, 1);
    assert.equal(started.pendingStep?.lastError, 'REGISTRY_UNAVAILABLE');

    const stuck = await supervisor.listStuckApplications({ stationId: STATION });
    assert.deepEqual(
      stuck.applications.map((a) => a.applicationId),
      [id],
    );
    assert.equal(stuck.applications[0]!.pendingStep?.lastError, 'REGISTRY_UNAVAILABLE');

    // With the register down, the holder of a card named as replaced can only be confirmed through
    // the application it was made from here; a card made elsewhere waits for the register.
    const card = (cardId: string, applicationId: string) =>
      running.db.query(
        `INSERT INTO enr_cards (card_id, application_id, citizen_id, status, issue_date, expiry_date, card_version, changed_at)
         VALUES ($1, $2, $3, 'ACTIVATED', '2020-01-02', '2032-05-17', 1, now())`,
        [cardId, applicationId, randomUUID()],
      );
    await card('card-elsewhere', randomUUID());
    await card('card-201', id);
    const replacing = (personalId: string, replacesCardId: string) =>
      operator.startApplication({ personalId, reason: ApplicationReason.LOST, replacesCardId }).then(
        () => assert.fail('a replacement was started'),
        (e: unknown) => readErrorDetails(e),
      );
    assert.equal((await replacing('001190000205', 'card-elsewhere'))?.code, status.UNAVAILABLE);
    const another = await replacing('001190000205', 'card-201');
    assert.equal(another?.code, status.PERMISSION_DENIED);
    assert.equal(another?.errorInfo?.reason, 'CARD_OF_ANOTHER_CITIZEN');
    // Its own holder's is accepted — and then held back by the application already open.
    assert.equal((await replacing('001190000201', 'card-201'))?.code, status.ALREADY_EXISTS);

    // `cancuoc stuck`, as an administrator (every station): the application by id, its step and error.
    // The command finds the development issuer in the platform folder, as on the embedded platform.
    const env = {
      CANCUOC_ENROLLMENT_ADDRESS: running.grpc.address,
      CANCUOC_CARD_PRODUCTION_ADDRESS: '127.0.0.1:1',
      CANCUOC_DATA_DIR: registryProcess.folder,
    };
    const cli = await captureRun(command('stuck'), [], env);
    assert.equal(cli.code, 1, 'card production could not be asked');
    assert.match(cli.stderr, /card-production is unreachable at 127\.0\.0\.1:1/);
    const line = cli.stdout.split('\n').find((l) => l.includes(id));
    assert.match(
      line ?? '',
      new RegExp(
        `^enrollment +application +${id} +${STATION} +STARTED +REGISTER_LOOKUP: REGISTRY_UNAVAILABLE, \\d+ attempts`,
      ),
    );
    assert.ok(!cli.stdout.includes('001190000201'), 'no personal id number');
    const audit = await captureRun(command('audit'), ['verify', '--service', 'enrollment'], env);
    assert.equal(audit.code, 0, audit.stderr);

    // The re-processor keeps trying, each pause longer than the one before (up to the cap).
    const retried = await eventually(
      () => view(id),
      (v) => (v.pendingStep?.attempts ?? 0) >= 4,
    );
    const step = retried.pendingStep!;
    // 150 ms doubling per failure, capped at 1,200 ms: the fourth failure and later wait the cap.
    assert.equal(Date.parse(step.nextAttemptAt) - Date.parse(step.lastAttemptAt), 1_200);
    assert.equal(
      Date.parse(started.pendingStep!.nextAttemptAt) - Date.parse(started.pendingStep!.lastAttemptAt),
      150,
    );
    assert.equal(retried.application!.stage, ApplicationStage.STARTED);

    await registryProcess.restart();
    const recovered = await eventually(
      () => view(id),
      (v) => v.application!.stage === ApplicationStage.CAPTURING,
    );
    assert.equal(recovered.pendingStep, undefined);
    assert.equal(recovered.application!.citizen?.personalId, '001190000201');
    assert.deepEqual((await supervisor.listStuckApplications({ stationId: STATION })).applications, []);
  });

  it('matcher down: the duplicate check waits and is listed as stuck, then runs when the matcher is back', async () => {
    await registerCitizen(registry, '001190000202');
    const id = (
      await operator.startApplication({ personalId: '001190000202', reason: ApplicationReason.FIRST_ISSUE })
    ).application!.application!.applicationId;
    await operator.captureFace(faceUpload(id, jpegImage(480, 640)));
    await operator.captureFingerprints(fingerprintUpload(id, tenPrintRecord(syntheticPerson(202))));
    matcher.down = true;
    await operator.submitForReview({ applicationId: id });
    const waiting = await eventually(
      () => view(id),
      (v) => (v.pendingStep?.attempts ?? 0) >= 2,
    );
    assert.equal(waiting.application!.stage, ApplicationStage.DUPLICATE_CHECK);
    assert.equal(waiting.pendingStep?.step, PipelineStep.DUPLICATE_CHECK);
    assert.equal(waiting.pendingStep?.lastError, 'MATCHER_UNAVAILABLE');
    const stuck = await supervisor.listStuckApplications({ stationId: STATION });
    assert.ok(
      stuck.applications.some((a) => a.applicationId === id && a.stage === ApplicationStage.DUPLICATE_CHECK),
    );

    matcher.down = false;
    await eventually(
      () => view(id),
      (v) => v.application!.stage === ApplicationStage.REVIEW,
    );
    assert.deepEqual((await supervisor.listStuckApplications({ stationId: STATION })).applications, []);
  });

  it('an ABIS that compares finger images takes ISO/IEC 19794-4 records and finds the same prints under another identity', async () => {
    await registerCitizen(registry, '001190000203');
    await registerCitizen(registry, '001190000204');
    const images = fingerImageRecord(203, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const enroll = async (personalId: string) => {
      const id = (await operator.startApplication({ personalId, reason: ApplicationReason.FIRST_ISSUE }))
        .application!.application!.applicationId;
      await operator.captureFace(faceUpload(id, jpegImage(480, 640)));
      const captured = await operator.captureFingerprints(
        fingerprintUpload(id, images, [], FingerprintFormat.ISO_19794_4),
      );
      assert.equal(captured.application!.application!.fingerprints?.mediaType, 'application/vnd.iso.19794-4');
      await operator.submitForReview({ applicationId: id });
      return id;
    };
    const first = await enroll('001190000203');
    await eventually(
      () => view(first),
      (v) => v.application!.stage === ApplicationStage.REVIEW,
    );
    const second = await enroll('001190000204');
    const stopped = await eventually(
      () => view(second),
      (v) => v.application!.stage === ApplicationStage.ADJUDICATION,
    );
    assert.equal(stopped.duplicateCandidates[0]?.applicationId, first);
    assert.equal(stopped.duplicateCandidates[0]?.matchingFingers, 10);
  });
});
