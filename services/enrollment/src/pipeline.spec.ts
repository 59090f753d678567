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
  operations,
  PipelineStep,
  RegistryService,
} from '@cancuoc/proto';
import { captureRun, operatorCommands } from '@cancuoc/operations';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { startEnrollment, type RunningEnrollment } from './app.js';
import { DependencyUnavailableError } from './application/errors.js';
import { testConfig } from './test-support/config.js';
import { asAdministrator, asClerk, asSupervisor, atStation } from './test-support/callers.js';
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
    const cli = await captureRun(command('stuck'), ['--older-than', '0s'], env);
    assert.equal(cli.code, 1, 'card production could not be asked');
    assert.match(cli.stderr, /card-production is unreachable at 127\.0\.0\.1:1/);
    const line = cli.stdout.split('\n').find((l) => l.includes(id));
    assert.match(
      line ?? '',
      new RegExp(
        `^enrollment +application +${id} +${STATION} +STARTED +register-lookup +platform +REGISTRY_UNAVAILABLE, \\d+ attempts`,
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

  it('lists every application in an open stage, with its next action and who must act (ListUnfinishedWork)', async () => {
    const ops = createClient(operations.OperationsService, running.grpc.address, {
      metadata: () => asAdministrator(registryProcess.issuer, 'ad-001'),
      defaultTimeoutMs: 30_000,
    });
    const personalIds = ['211', '212', '213', '214', '215', '216', '217', '218'].map((n) => `001190000${n}`);
    try {
      for (const personalId of personalIds) await registerCitizen(registry, personalId);
      const start = async (personalId: string) =>
        (await operator.startApplication({ personalId, reason: ApplicationReason.FIRST_ISSUE })).application!
          .application!.applicationId;
      const submitted = async (personalId: string, prints: number) => {
        const id = await start(personalId);
        await operator.captureFace(faceUpload(id, jpegImage(480, 640)));
        await operator.captureFingerprints(fingerprintUpload(id, tenPrintRecord(syntheticPerson(prints))));
        await operator.submitForReview({ applicationId: id });
        return id;
      };
      const reaches = (id: string, stage: ApplicationStage) =>
        eventually(
          () => view(id),
          (v) => v.application!.stage === stage,
        );
      const capturing = await start(personalIds[0]!);
      const review = await submitted(personalIds[1]!, 212);
      const approved = await submitted(personalIds[2]!, 213);
      await reaches(approved, ApplicationStage.REVIEW);
      await supervisor.approveApplication({ applicationId: approved });
      const cancelled = await start(personalIds[3]!);
      await operator.cancelApplication({ applicationId: cancelled, note: 'started by mistake' });
      // The same prints under two identities: the second stops for adjudication.
      await reaches(await submitted(personalIds[4]!, 300), ApplicationStage.REVIEW);
      const adjudication = await submitted(personalIds[5]!, 300);
      await reaches(adjudication, ApplicationStage.ADJUDICATION);
      await reaches(review, ApplicationStage.REVIEW);
      matcher.down = true;
      const duplicateCheck = await submitted(personalIds[6]!, 218);
      await eventually(
        () => view(duplicateCheck),
        (v) => (v.pendingStep?.attempts ?? 0) >= 1,
      );
      await registryProcess.stop();
      const started = await start(personalIds[7]!);

      // Every page, two at a time: each application once, oldest first.
      const items: operations.UnfinishedWork[] = [];
      let pageToken = '';
      do {
        const page = await ops.listUnfinishedWork({ olderThanSeconds: 0, pageSize: 2, pageToken });
        assert.equal(page.olderThanSeconds, 0);
        assert.ok(page.items.length <= 2);
        items.push(...page.items);
        pageToken = page.nextPageToken;
      } while (pageToken);
      const ids = items.map((i) => i.id);
      assert.equal(new Set(ids).size, ids.length, 'nothing listed twice');
      const since = items.map((i) => Date.parse(i.since));
      assert.deepEqual(
        since,
        [...since].sort((a, b) => a - b),
      );
      const item = (id: string) => items.find((i) => i.id === id);
      const expected: [string, string, operations.NextAction, operations.Actor][] = [
        [
          capturing,
          'CAPTURING',
          operations.NextAction.CAPTURE_BIOMETRICS,
          operations.Actor.ENROLLMENT_STATION,
        ],
        [review, 'REVIEW', operations.NextAction.REVIEW, operations.Actor.SUPERVISOR],
        [approved, 'SUBMITTED', operations.NextAction.PRODUCE_CARD, operations.Actor.PLATFORM],
        [adjudication, 'ADJUDICATION', operations.NextAction.ADJUDICATE, operations.Actor.ADJUDICATION],
        [duplicateCheck, 'DUPLICATE_CHECK', operations.NextAction.DUPLICATE_CHECK, operations.Actor.PLATFORM],
        [started, 'STARTED', operations.NextAction.REGISTER_LOOKUP, operations.Actor.PLATFORM],
      ];
      for (const [id, stage, action, actor] of expected) {
        const listed = item(id);
        assert.ok(listed, `${stage} listed`);
        assert.equal(listed.kind, operations.WorkKind.APPLICATION);
        assert.equal(listed.state, `APPLICATION_STAGE_${stage}`);
        assert.equal(listed.stationId, STATION);
        assert.equal(listed.nextAction, action, stage);
        assert.equal(listed.actor, actor, stage);
      }
      assert.equal(item(duplicateCheck)!.lastError, 'MATCHER_UNAVAILABLE');
      assert.ok(item(duplicateCheck)!.attempts >= 1);
      assert.ok(Date.parse(item(duplicateCheck)!.nextAttemptAt) > 0);
      assert.equal(item(started)!.lastError, 'REGISTRY_UNAVAILABLE');
      assert.equal(item(capturing)!.lastError, '');
      assert.equal(item(cancelled), undefined, 'a cancelled application is finished');
      // Once card production reports the card, the application waits for whoever the card waits for.
      await running.db.query(
        `INSERT INTO enr_cards (card_id, application_id, citizen_id, status, issue_date, expiry_date, card_version, changed_at)
         VALUES ($1, $2, $3, 'SHIPPED', '2026-01-02', '2038-05-17', 7, now())`,
        [randomUUID(), approved, randomUUID()],
      );
      const shipped = (await ops.listUnfinishedWork({ olderThanSeconds: 0, pageSize: 500 })).items.find(
        (i) => i.id === approved,
      );
      assert.equal(shipped?.nextAction, operations.NextAction.PRODUCE_CARD);
      assert.equal(shipped.actor, operations.Actor.DELIVERY);
      assert.ok(shipped.relatedId);
      const text = JSON.stringify(items, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      for (const personalId of personalIds) assert.ok(!text.includes(personalId), 'no personal id number');

      // The threshold: none of these has been waiting an hour; unset, the service's default applies.
      const hour = await ops.listUnfinishedWork({ olderThanSeconds: 3600 });
      assert.ok(!hour.items.some((i) => ids.includes(i.id)));
      const byDefault = await ops.listUnfinishedWork({});
      assert.equal(byDefault.olderThanSeconds, 600);
      assert.ok(!byDefault.items.some((i) => ids.includes(i.id)));
      // A token of another threshold is not this list's.
      const first = await ops.listUnfinishedWork({ olderThanSeconds: 0, pageSize: 1 });
      const refused = await ops
        .listUnfinishedWork({ olderThanSeconds: 5, pageToken: first.nextPageToken })
        .then(
          () => assert.fail('a token of another threshold was taken'),
          (e: unknown) => readErrorDetails(e),
        );
      assert.equal(refused?.code, status.INVALID_ARGUMENT);
      assert.equal(refused?.badRequest?.fieldViolations[0]?.field, 'page_token');

      // The platform's own work moves on by itself once the dependencies are back.
      matcher.down = false;
      await registryProcess.restart();
      await reaches(duplicateCheck, ApplicationStage.REVIEW);
      await reaches(started, ApplicationStage.CAPTURING);
    } finally {
      matcher.down = false;
      closeClient(ops);
    }
  });
});
