/**
 * Enrollment end to end, as SREs run it in server mode: a real gRPC client against the service on
 * PostgreSQL, Redis and the Kafka-protocol test broker, pulling citizens from the real registry
 * (its executable, on a database of its own), with real image and ISO/IEC 19794-2 bytes.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  closeClient,
  createClient,
  readErrorDetails,
  signToken,
  status,
} from '@cancuoc/grpc';
import {
  KafkaTransport,
  toKafkaRecord,
  type IncomingRecord,
  type TransportSubscription,
} from '@cancuoc/messaging';
import {
  AdjudicationDecision,
  ApplicationReason,
  ApplicationStage,
  CARD_PRODUCTION_CARD_TOPIC,
  CardApplicationChangedSchema,
  CardChangedSchema,
  CardStatus,
  ENROLLMENT_APPLICATION_TOPIC,
  EnrollmentService,
  FingerExceptionReason,
  FingerPosition,
  FingerprintFormat,
  PersonalisationDataService,
  RegistryService,
  type CardApplicationChanged,
} from '@cancuoc/proto';
import {
  TEST_REDIS_URL,
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type TestDatabase,
} from '@cancuoc/testing';
import { startEnrollment, type RunningEnrollment } from './app.js';
import type { Minutia } from './domain/biometrics/iso19794-2.js';
import { testConfig } from './test-support/config.js';
import { asClerk, asService, asSupervisor, atStation } from './test-support/callers.js';
import {
  fingerImageRecord,
  jpegImage,
  pngImage,
  reimpressed,
  syntheticPerson,
  tenPrintRecord,
  uniformPixels,
} from '@cancuoc/synthetic';
import {
  eventually,
  faceUpload,
  fingerprintUpload,
  registerCitizen,
  sha256,
  type EnrollmentClient,
} from './test-support/flow.js';
import { startRegistryProcess, type RegistryProcess } from './test-support/registry-process.js';

const SECRET = 'enrollment-grpc-test-secret-0123456789-01';
const STATION = `hn-${randomBytes(3).toString('hex')}`;
const PLACEMENT = { rotation: -10, dx: 14, dy: 20, jitter: 2, angleJitter: 2, dropped: 0.1, spurious: 0.1 };

const code = (e: unknown) => readErrorDetails(e)?.code;

describe('enrollment over gRPC (registry process, PostgreSQL, Redis, Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  let registryDb: TestDatabase;
  let enrollmentDb: TestDatabase;
  let registryProcess: RegistryProcess;
  let running: RunningEnrollment;
  let registry: ReturnType<typeof createClient<typeof RegistryService>>;
  let operator: EnrollmentClient;
  let supervisor: EnrollmentClient;
  let kafka: KafkaTransport;
  let reader: TransportSubscription;
  const published: CardApplicationChanged[] = [];
  /** The application the first test submits, for the erasure test. */
  const submitted = { applicationId: '', reference: '', citizenId: '' };
  const headers: IncomingRecord['headers'][] = [];

  before(async () => {
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    registryDb = await createTestDatabase('enrollment_grpc_registry');
    enrollmentDb = await createTestDatabase('enrollment_grpc');
    registryProcess = await startRegistryProcess({ databaseUrl: registryDb.url, authSecret: SECRET });
    const config = testConfig({
      databaseUrl: enrollmentDb.url,
      redisUrl: TEST_REDIS_URL,
      kafkaBrokers: broker.bootstrapServers,
      authSecret: SECRET,
      registryAddress: registryProcess.address,
    });
    running = await startEnrollment(config, { migrate: true });
    registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(SECRET),
      defaultTimeoutMs: 20_000,
    });
    operator = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => atStation(SECRET, 'hn-001', STATION),
      defaultTimeoutMs: 30_000,
    });
    supervisor = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => asSupervisor(SECRET, 'hn-100'),
      defaultTimeoutMs: 30_000,
    });
    kafka = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'enrollment-test',
      idempotent: false,
    });
    reader = await kafka.subscribe({
      group: `enrollment-test-${randomUUID()}`,
      topics: [ENROLLMENT_APPLICATION_TOPIC.name],
      fromBeginning: true,
      handle: async (record) => {
        published.push(fromBinary(CardApplicationChangedSchema, record.value!));
        headers.push(record.headers);
      },
    });
  });

  after(async () => {
    await reader?.stop();
    await kafka?.close();
    for (const client of [registry, operator, supervisor]) if (client) closeClient(client);
    await running?.stop();
    await registryProcess?.stop();
    await enrollmentDb?.drop();
    await registryDb?.drop();
    await broker?.stop();
  });

  const start = (personalId: string, reason = ApplicationReason.FIRST_ISSUE, idempotencyKey?: string) =>
    operator.startApplication({ personalId, reason }, idempotencyKey ? { idempotencyKey } : {});

  /** Start, face, fingerprints, submit: the application waiting for the duplicate check's outcome. */
  async function enroll(personalId: string, fingers: ReadonlyMap<number, readonly Minutia[]>) {
    const started = await start(personalId);
    const id = started.application!.application!.applicationId;
    await operator.captureFace(faceUpload(id, jpegImage(480, 640)));
    await operator.captureFingerprints(fingerprintUpload(id, tenPrintRecord(fingers)));
    await operator.submitForReview({ applicationId: id });
    return id;
  }

  const stageOf = async (id: string) =>
    (await supervisor.getApplication({ applicationId: id })).application!.application!.stage;

  it('reports itself SERVING on grpc.health.v1 without credentials', async () => {
    const health = createClient(Health, running.grpc.address);
    try {
      const reply = await health.check({ service: EnrollmentService.typeName });
      assert.equal(reply.status, HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      closeClient(health);
    }
  });

  it('takes an application from start to submitted, and releases the portrait to card production only', async () => {
    const registration = await registerCitizen(registry, '001190000101');
    const started = await start('001190000101');
    const view = started.application!;
    const id = view.application!.applicationId;
    assert.equal(view.application!.stage, ApplicationStage.CAPTURING);
    assert.equal(view.application!.registryRecordVersion, registration.recordVersion);
    assert.equal(view.application!.citizenId, registration.citizenId);
    assert.equal(view.application!.citizen?.givenName, 'Huệ Lan');
    assert.equal(view.application!.stationId, STATION);
    assert.equal(view.application!.startedBy, 'operator:hn-001');

    const portrait = jpegImage(480, 640);
    const face = await operator.captureFace(faceUpload(id, portrait, { chunkSize: 10_000 }));
    assert.equal(face.application!.application!.face?.sha256, sha256(portrait));
    assert.equal(face.application!.application!.face?.mediaType, 'image/jpeg');
    assert.equal(face.application!.application!.face?.width, 480);

    const person = syntheticPerson(101);
    person.delete(FingerPosition.LEFT_LITTLE);
    const record = tenPrintRecord(person);
    const prints = await operator.captureFingerprints(
      fingerprintUpload(id, record, [
        { finger: FingerPosition.LEFT_LITTLE, reason: FingerExceptionReason.BANDAGED },
      ]),
    );
    assert.deepEqual(prints.application!.application!.fingerprintExceptions, ['LEFT_LITTLE:BANDAGED']);
    assert.equal(prints.application!.application!.fingerprints?.sha256, sha256(record));

    await operator.submitForReview({ applicationId: id });
    await eventually(
      () => stageOf(id),
      (stage) => stage === ApplicationStage.REVIEW,
    );
    await assert.rejects(
      operator.approveApplication({ applicationId: id }),
      (e) => code(e) === status.PERMISSION_DENIED,
    );
    const approved = await supervisor.approveApplication({ applicationId: id });
    assert.equal(approved.application!.application!.stage, ApplicationStage.SUBMITTED);
    assert.equal(approved.application!.application!.approvedBy, 'supervisor:hn-100');

    const cardProduction = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(SECRET, 'card-production'),
    });
    const dataSharing = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(SECRET, 'data-sharing'),
    });
    try {
      const reference = approved.application!.application!.face!.reference;
      Object.assign(submitted, { applicationId: id, reference, citizenId: registration.citizenId });
      const released = await cardProduction.getPortrait({ applicationId: id, reference });
      assert.deepEqual(Buffer.from(released.image), Buffer.from(portrait));
      assert.equal(released.sha256, sha256(portrait));
      assert.equal(released.mediaType, 'image/jpeg');
      await assert.rejects(
        dataSharing.getPortrait({ applicationId: id, reference }),
        (e) => code(e) === status.PERMISSION_DENIED,
      );
      await assert.rejects(
        cardProduction.getPortrait({ applicationId: id, reference: randomUUID() }),
        (e) => code(e) === status.NOT_FOUND,
      );
    } finally {
      closeClient(cardProduction);
      closeClient(dataSharing);
    }
    const audited = await running.audit.forSubject(registration.citizenId);
    const actions = audited.map((entry) => `${entry.actor} ${entry.action}`);
    assert.ok(actions.includes('service:card-production portrait.released'), actions.join('; '));
    assert.ok(actions.includes('service:enrollment fingerprints.read'), actions.join('; '));

    const events = await eventually(
      async () => published.filter((e) => e.applicationId === id),
      (list) => list.some((e) => e.application?.stage === ApplicationStage.SUBMITTED),
    );
    const stages = events.map((e) => e.application!.stage);
    for (const stage of [
      ApplicationStage.CAPTURING,
      ApplicationStage.DUPLICATE_CHECK,
      ApplicationStage.REVIEW,
    ]) {
      assert.ok(stages.includes(stage), `stage ${stage} published`);
    }
    const handedOver = events.find((e) => e.application?.stage === ApplicationStage.SUBMITTED)!;
    assert.equal(handedOver.application!.face?.sha256, sha256(portrait));
    assert.equal(handedOver.application!.citizen?.personalId, '001190000101');
    const header = headers[published.indexOf(handedOver)]!;
    assert.equal(header.ce_type, 'cancuoc.events.v1.CardApplicationChanged');
    assert.equal(header.ce_subject, id);
    const encoded = Buffer.from(JSON.stringify(events, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
    assert.equal(
      encoded.includes(Buffer.from(portrait.subarray(200, 232))),
      false,
      'no image bytes in events',
    );
  });

  it('erasure destroys the citizen’s data keys: the portrait can no longer be released', async () => {
    const admin = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => ({
        authorization: `Bearer ${signToken(SECRET, { sub: 'admin:dpo-1', aud: 'enrollment', roles: ['admin'] })}`,
      }),
    });
    const cardProduction = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(SECRET, 'card-production'),
    });
    try {
      await assert.rejects(
        supervisor.eraseCitizenBiometrics({ citizenId: submitted.citizenId, legalBasis: 'test' }),
        (e) => code(e) === status.PERMISSION_DENIED,
      );
      const erased = await admin.eraseCitizenBiometrics({
        citizenId: submitted.citizenId,
        legalBasis: 'data subject request 2026/17 (Law 91/2025/QH15)',
      });
      assert.equal(erased.keysDestroyed, 1);
      const details = await cardProduction
        .getPortrait({ applicationId: submitted.applicationId, reference: submitted.reference })
        .then(
          () => assert.fail('released after erasure'),
          (e: unknown) => readErrorDetails(e),
        );
      assert.equal(details?.code, status.FAILED_PRECONDITION);
      assert.equal(details?.preconditionFailure?.violations[0]?.type, 'BIOMETRICS_ERASED');
      const again = await admin.eraseCitizenBiometrics({
        citizenId: submitted.citizenId,
        legalBasis: 'again',
      });
      assert.equal(again.keysDestroyed, 0);
      const audited = await running.audit.forSubject(submitted.citizenId);
      assert.ok(
        audited.some((entry) => entry.actor === 'admin:dpo-1' && entry.action === 'biometrics.erased'),
      );
    } finally {
      closeClient(admin);
      closeClient(cardProduction);
    }
  });

  it('refuses bad captures with reasons the operator can act on, storing nothing', async () => {
    await registerCitizen(registry, '001190000102');
    const id = (await start('001190000102')).application!.application!.applicationId;
    const violation = async (call: Promise<unknown>) => {
      const details = await call.then(
        () => assert.fail('accepted'),
        (e: unknown) => readErrorDetails(e),
      );
      assert.equal(details?.code, status.INVALID_ARGUMENT);
      return details!.badRequest!.fieldViolations.map((v) => `${v.field}:${v.reason}`);
    };
    assert.deepEqual(
      await violation(operator.captureFace(faceUpload(id, pngImage(480, 640, uniformPixels(480, 640))))),
      ['image:FACE_BLANK'],
    );
    assert.deepEqual(await violation(operator.captureFace(faceUpload(id, jpegImage(200, 160)))), [
      'image:FACE_TOO_SMALL',
      'image:FACE_ASPECT_RATIO',
    ]);
    const portrait = jpegImage(480, 640);
    assert.deepEqual(
      await violation(operator.captureFace(faceUpload(id, portrait, { sha: sha256(portrait.subarray(1)) }))),
      ['header.sha256:HASH_MISMATCH'],
    );
    assert.deepEqual(
      await violation(operator.captureFace(faceUpload(id, portrait, { chunkSize: 1000 }).slice(0, 3))),
      ['chunk:SIZE_MISMATCH'],
    );
    const record = tenPrintRecord(syntheticPerson(102));
    assert.deepEqual(
      await violation(operator.captureFingerprints(fingerprintUpload(id, record.subarray(0, 300)))),
      ['record:MALFORMED_RECORD'],
    );
    const nine = syntheticPerson(102);
    nine.delete(FingerPosition.RIGHT_THUMB);
    assert.deepEqual(
      await violation(operator.captureFingerprints(fingerprintUpload(id, tenPrintRecord(nine)))),
      ['record:FINGERS_UNACCOUNTED'],
    );
    const refusedImages = await operator
      .captureFingerprints(
        fingerprintUpload(
          id,
          fingerImageRecord(102, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
          [],
          FingerprintFormat.ISO_19794_4,
        ),
      )
      .then(
        () => assert.fail('accepted'),
        (e: unknown) => readErrorDetails(e),
      );
    assert.equal(refusedImages?.preconditionFailure?.violations[0]?.type, 'MATCHER_NEEDS_MINUTIAE');
    const [stored] = await running.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM enr_biometrics WHERE application_id = $1',
      [id],
    );
    assert.equal(stored!.n, '0');
    const details = await operator.submitForReview({ applicationId: id }).then(
      () => assert.fail('accepted'),
      (e: unknown) => readErrorDetails(e),
    );
    assert.equal(details?.code, status.FAILED_PRECONDITION);
    assert.equal(details?.preconditionFailure?.violations[0]?.type, 'FACE_MISSING');
  });

  it('stops a near-identical ten-print under another identity for adjudication; the supervisor rejects it', async () => {
    await registerCitizen(registry, '001190000103', { givenName: 'Mai' });
    await registerCitizen(registry, '001190000104', { givenName: 'Hoa' });
    const person = syntheticPerson(103);
    const first = await enroll('001190000103', person);
    await eventually(
      () => stageOf(first),
      (stage) => stage === ApplicationStage.REVIEW,
    );
    const second = await enroll('001190000104', reimpressed(person, 7, PLACEMENT));
    await eventually(
      () => stageOf(second),
      (stage) => stage === ApplicationStage.ADJUDICATION,
    );
    const view = (await supervisor.getApplication({ applicationId: second })).application!;
    assert.equal(view.duplicateCandidates[0]?.applicationId, first);
    assert.ok(view.duplicateCandidates[0]!.score > 0.3);
    await assert.rejects(
      supervisor.approveApplication({ applicationId: second }),
      (e) => code(e) === status.FAILED_PRECONDITION,
    );
    const decided = await supervisor.adjudicateApplication({
      applicationId: second,
      decision: AdjudicationDecision.DUPLICATE,
      note: 'same person as the earlier enrolment',
    });
    assert.equal(decided.application!.application!.stage, ApplicationStage.REJECTED);
    assert.equal(decided.application!.application!.closedReason, 'DUPLICATE_IDENTITY');
    // Rejected, the application no longer holds the citizen's open slot.
    const again = await start('001190000104');
    assert.equal(again.application!.application!.stage, ApplicationStage.CAPTURING);
  });

  it('keeps one open application per citizen, also under concurrent starts', async () => {
    await registerCitizen(registry, '001190000105');
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => start('001190000105')));
    const won = attempts.filter((a) => a.status === 'fulfilled');
    assert.equal(won.length, 1);
    const openId = won[0]!.value.application!.application!.applicationId;
    for (const lost of attempts.filter((a) => a.status === 'rejected')) {
      const details = readErrorDetails(lost.reason);
      assert.equal(details?.code, status.ALREADY_EXISTS);
      assert.equal(details?.resourceInfo?.resourceName, openId);
    }
    const retried = await Promise.all([
      start('001190000106', undefined, 'key-1'),
      start('001190000106', undefined, 'key-1'),
    ]).catch((e: unknown) => e);
    assert.equal(code(retried), status.NOT_FOUND, 'an unknown number is refused, nothing recorded');
  });

  it('answers a retry with the same idempotency key with the first result', async () => {
    await registerCitizen(registry, '001190000107');
    const [a, b] = await Promise.all([
      start('001190000107', undefined, 'start-107'),
      start('001190000107', undefined, 'start-107'),
    ]);
    assert.equal(a.application!.application!.applicationId, b.application!.application!.applicationId);
    const reused = await operator
      .startApplication(
        { personalId: '001190000107', reason: ApplicationReason.LOST },
        { idempotencyKey: 'start-107' },
      )
      .catch((e: unknown) => readErrorDetails(e));
    assert.equal((reused as { code: number }).code, status.INVALID_ARGUMENT);
  });

  it('blocks a deceased citizen with the rule, without holding the citizen', async () => {
    await registerCitizen(registry, '001190000108');
    await registry.recordDeath({
      citizen: { personalId: '001190000108' },
      dateOfDeath: '2026-01-02',
      certificateRef: 'KT-108',
    });
    const blocked = (await start('001190000108')).application!.application!;
    assert.equal(blocked.stage, ApplicationStage.BLOCKED);
    assert.equal(blocked.closedReason, 'CITIZEN_DECEASED');
  });

  it('refuses calls without both tokens, and operators of other stations', async () => {
    const noStation = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => ({ authorization: atStation(SECRET, 'hn-001', STATION).authorization! }),
    });
    const elsewhere = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => atStation(SECRET, 'hcm-001', 'hcm-01'),
    });
    try {
      await assert.rejects(
        noStation.startApplication({ personalId: '001190000101', reason: ApplicationReason.LOST }),
        (e) => code(e) === status.PERMISSION_DENIED,
      );
      const [mine] = (await operator.listApplications({ stationId: STATION })).applications;
      assert.ok(mine);
      await assert.rejects(
        elsewhere.getApplication({ applicationId: mine.applicationId }),
        (e) => code(e) === status.PERMISSION_DENIED,
      );
    } finally {
      closeClient(noStation);
      closeClient(elsewhere);
    }
  });

  it('lists a station’s applications by stage, with time in stage', async () => {
    const all = await supervisor.listApplications({ stationId: STATION, pageSize: 2 });
    assert.equal(all.applications.length, 2);
    assert.ok(all.nextPageToken);
    const next = await supervisor.listApplications({
      stationId: STATION,
      pageSize: 2,
      pageToken: all.nextPageToken,
    });
    assert.ok(
      next.applications.every((a) => !all.applications.some((b) => b.applicationId === a.applicationId)),
    );
    const blocked = await operator.listApplications({ stage: ApplicationStage.BLOCKED });
    assert.ok(blocked.applications.length >= 1);
    assert.ok(
      blocked.applications.every((a) => a.stage === ApplicationStage.BLOCKED && a.stationId === STATION),
    );
    assert.ok(blocked.applications.every((a) => a.startedAt !== '' && a.secondsInStage >= 0n));
  });

  it('closes the application when card production reports the card delivered', async () => {
    await registerCitizen(registry, '001190000109');
    const id = await enroll('001190000109', syntheticPerson(109));
    await eventually(
      () => stageOf(id),
      (stage) => stage === ApplicationStage.REVIEW,
    );
    const approved = (await supervisor.approveApplication({ applicationId: id })).application!.application!;
    const card = (cardStatus: CardStatus, version: number) =>
      toKafkaRecord({
        topic: CARD_PRODUCTION_CARD_TOPIC.name,
        schema: CardChangedSchema,
        data: create(CardChangedSchema, {
          cardId: 'card-109',
          cardVersion: BigInt(version),
          card: {
            cardId: 'card-109',
            applicationId: id,
            citizenId: approved.citizenId,
            documentNumber: '190000109',
            status: cardStatus,
            issueDate: '2026-11-30',
            expiryDate: '2030-05-17',
            chipSerial: '',
            documentSignerKeyId: '',
            changedAt: new Date().toISOString(),
          },
        }),
        id: randomUUID(),
        source: '/cancuoc/card-production',
        time: new Date(),
        subject: 'card-109',
        traceparent: undefined,
        correlationId: undefined,
        causationId: undefined,
        sequence: version,
      });
    const delivered = card(CardStatus.DELIVERED, 6);
    await kafka.publish([card(CardStatus.QUEUED, 1), card(CardStatus.SHIPPED, 5), delivered, delivered]);
    const view = await eventually(
      async () => (await supervisor.getApplication({ applicationId: id })).application!,
      (v) => v.application!.stage === ApplicationStage.COMPLETED,
    );
    assert.equal(view.cardId, 'card-109');
    assert.equal(view.cardStatus, CardStatus.DELIVERED);
    const completed = await eventually(
      async () =>
        published.filter(
          (e) => e.applicationId === id && e.application?.stage === ApplicationStage.COMPLETED,
        ),
      (list) => list.length > 0,
    );
    assert.equal(completed.length, 1);
    // With the card delivered, a first issue is refused: the citizen has a card.
    const next = (await start('001190000109')).application!.application!;
    assert.equal(next.stage, ApplicationStage.BLOCKED);
    assert.equal(next.closedReason, 'CARD_ALREADY_ISSUED');
  });
});
