/**
 * Enrollment end to end, as SREs run it in server mode: a real gRPC client against the service on
 * PostgreSQL, Redis and the Kafka-protocol test broker, pulling citizens from the real registry
 * (its executable, on a data folder of its own), with real image and ISO/IEC 19794-2 bytes. Every
 * caller's token is a JWT of the development issuer the registry and enrollment trust, checked by
 * the guard and the platform policy of @cancuoc/auth.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { DevelopmentIssuer, bearerFor, identities } from '@cancuoc/auth';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  closeClient,
  createClient,
  readErrorDetails,
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
import {
  asAdministrator,
  asClerk,
  asService,
  asSupervisor,
  atStation,
  stationToken,
} from './test-support/callers.js';
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

const STATION = `hn-${randomBytes(3).toString('hex')}`;
const PLACEMENT = { rotation: -10, dx: 14, dy: 20, jitter: 2, angleJitter: 2, dropped: 0.1, spurious: 0.1 };

const code = (e: unknown) => readErrorDetails(e)?.code;

/** A token of the old shared-secret scheme's kind: HS256 over the claims the platform reads. */
function hs256(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', 'enrollment-grpc-test-secret-0123456789-01').update(signed).digest('base64url')}`;
}

/** Card production's `CardChanged` for a card of `citizenId`, as it publishes it. */
function cardChanged(
  cardId: string,
  card: { applicationId: string; citizenId: string; status: CardStatus; version: number },
) {
  return toKafkaRecord({
    topic: CARD_PRODUCTION_CARD_TOPIC.name,
    schema: CardChangedSchema,
    data: create(CardChangedSchema, {
      cardId,
      cardVersion: BigInt(card.version),
      card: {
        cardId,
        applicationId: card.applicationId,
        citizenId: card.citizenId,
        documentNumber: '',
        status: card.status,
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
    subject: cardId,
    traceparent: undefined,
    correlationId: undefined,
    causationId: undefined,
    sequence: card.version,
  });
}

describe('enrollment over gRPC (registry process, PostgreSQL, Redis, Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  let issuer: DevelopmentIssuer;
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
    enrollmentDb = await createTestDatabase('enrollment_grpc');
    registryProcess = await startRegistryProcess();
    issuer = registryProcess.issuer;
    const config = testConfig({
      databaseUrl: enrollmentDb.url,
      redisUrl: TEST_REDIS_URL,
      kafkaBrokers: broker.bootstrapServers,
      auth: { mode: 'issuer', issuer },
      registryAddress: registryProcess.address,
    });
    running = await startEnrollment(config, { migrate: true });
    registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(issuer),
      defaultTimeoutMs: 20_000,
    });
    operator = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => atStation(issuer, 'hn-001', STATION),
      defaultTimeoutMs: 30_000,
    });
    supervisor = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => asSupervisor(issuer, 'hn-100'),
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
    await registryProcess?.close();
    await enrollmentDb?.drop();
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
      metadata: () => asService(issuer, 'card-production'),
    });
    const dataSharing = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(issuer, 'data-sharing'),
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
      metadata: () => asAdministrator(issuer, 'dpo-1'),
    });
    const cardProduction = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(issuer, 'card-production'),
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

  it('refuses an operator another station’s applications, to read or act on (OTHER_STATION); a supervisor sees them', async () => {
    await registerCitizen(registry, '001190000112');
    const mine = (await start('001190000112')).application!;
    assert.equal(mine.application!.stage, ApplicationStage.CAPTURING);
    const id = mine.application!.applicationId;
    const elsewhere = createClient(EnrollmentService, running.grpc.address, {
      metadata: () => atStation(issuer, 'hcm-001', 'hcm-01'),
    });
    const otherStation = async (call: Promise<unknown>) => {
      const details = await call.then(
        () => assert.fail('another station’s operator was served'),
        (e: unknown) => readErrorDetails(e),
      );
      assert.equal(details?.code, status.PERMISSION_DENIED, details?.message);
      assert.equal(details?.errorInfo?.reason, 'OTHER_STATION');
    };
    try {
      await otherStation(elsewhere.getApplication({ applicationId: id }));
      await otherStation(elsewhere.captureFace(faceUpload(id, jpegImage(480, 640))));
      await otherStation(
        elsewhere.captureFingerprints(fingerprintUpload(id, tenPrintRecord(syntheticPerson(112)))),
      );
      await otherStation(elsewhere.submitForReview({ applicationId: id }));
      await otherStation(elsewhere.cancelApplication({ applicationId: id, note: 'not mine' }));
      await otherStation(elsewhere.listApplications({ stationId: STATION }));
      // Without a station named, an operator lists their own station's: none of this one's.
      const own = await elsewhere.listApplications({});
      assert.ok(own.applications.every((a) => a.stationId === 'hcm-01'));
      // A station the application was not taken at never saw its state change, nor any data.
      const [stored] = await running.db.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM enr_biometrics WHERE application_id = $1',
        [id],
      );
      assert.equal(stored!.n, '0');
      const seen = (await supervisor.getApplication({ applicationId: id })).application!;
      assert.equal(seen.application!.stage, ApplicationStage.CAPTURING);
      assert.equal(seen.version, mine.version);
      const cancelled = await supervisor.cancelApplication({
        applicationId: id,
        note: 'supervisor, any station',
      });
      assert.equal(cancelled.application!.application!.stage, ApplicationStage.CANCELLED);
    } finally {
      closeClient(elsewhere);
    }
  });

  it('refuses tokens that are not the issuer’s, valid and for enrollment (UNAUTHENTICATED), and a bad station token', async () => {
    const foreign = await DevelopmentIssuer.inMemory();
    const supervisorAt = (audience: string, ttlSeconds?: number, from = issuer) =>
      bearerFor(from, identities.supervisor('hn-100'), audience, ttlSeconds);
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, Record<string, string>> = {
      none: {},
      // The old shared-secret scheme: HS256 over the same claims is never accepted.
      hmac: {
        authorization: `Bearer ${hs256({ iss: issuer.issuer, aud: 'enrollment', sub: 'supervisor:hn-100', kind: 'person', roles: ['supervisor'], iat: now, exp: now + 300, jti: randomUUID() })}`,
      },
      'another issuer’s keys': await supervisorAt('enrollment', undefined, foreign),
      expired: await supervisorAt('enrollment', -120),
      'for the registry': await supervisorAt('registry'),
      'not a token': { authorization: 'Bearer not-a-token' },
    };
    for (const [what, headers] of Object.entries(tokens)) {
      const client = createClient(EnrollmentService, running.grpc.address, { metadata: () => headers });
      try {
        const details = await client.listApplications({ stationId: STATION }).then(
          () => assert.fail(`served with ${what}`),
          (e: unknown) => readErrorDetails(e),
        );
        assert.equal(details?.code, status.UNAUTHENTICATED, `${what}: ${details?.message}`);
      } finally {
        closeClient(client);
      }
    }

    // An operator (a subject of their own: refusals are counted per caller) with a station token
    // that is not a valid enrollment station's, or with none.
    const operatorToken = await bearerFor(issuer, identities.operator('hn-002'), 'enrollment');
    const stationTokens: Record<string, string> = {
      garbage: 'garbage',
      'with Bearer': `Bearer ${await stationToken(issuer, STATION)}`,
      'another issuer’s': await stationToken(foreign, STATION),
      'for the registry': await stationToken(issuer, STATION, 'registry'),
      expired: await issuer.mint({
        ...identities.enrollmentStation(STATION),
        audience: 'enrollment',
        ttlSeconds: -120,
      }),
      'an encoding station’s': await issuer.mint({
        ...identities.encodingStation(STATION),
        audience: 'enrollment',
      }),
      'a person’s': await issuer.mint({ ...identities.operator('hn-003'), audience: 'enrollment' }),
    };
    for (const [what, token] of Object.entries(stationTokens)) {
      const client = createClient(EnrollmentService, running.grpc.address, {
        metadata: () => ({ ...operatorToken, 'x-station-token': token }),
      });
      try {
        const details = await client
          .startApplication({ personalId: '001190000101', reason: ApplicationReason.LOST })
          .then(
            () => assert.fail(`served with ${what} station token`),
            (e: unknown) => readErrorDetails(e),
          );
        assert.equal(details?.code, status.UNAUTHENTICATED, `${what}: ${details?.message}`);
        assert.equal(details?.errorInfo?.reason, 'BAD_STATION_TOKEN', what);
      } finally {
        closeClient(client);
      }
    }
    const denied = async (headers: Record<string, string>, what: string) => {
      const client = createClient(EnrollmentService, running.grpc.address, { metadata: () => headers });
      try {
        const details = await client
          .startApplication({ personalId: '001190000101', reason: ApplicationReason.LOST })
          .then(
            () => assert.fail(`${what} was served`),
            (e: unknown) => readErrorDetails(e),
          );
        assert.equal(details?.code, status.PERMISSION_DENIED, `${what}: ${details?.message}`);
      } finally {
        closeClient(client);
      }
    };
    await denied(operatorToken, 'an operator signed in at no station');
    await denied(
      { authorization: `Bearer ${await stationToken(issuer, STATION)}` },
      'a station without an operator',
    );
    await denied(
      await bearerFor(issuer, identities.clerk('c-1', '01', { national: true }), 'enrollment'),
      'a clerk',
    );
  });

  it('releases portraits to the service card-production only', async () => {
    const refused: [string, Record<string, string>][] = [
      ['data-sharing', await asService(issuer, 'data-sharing')],
      ['the registry', await asService(issuer, 'registry')],
      ['enrollment itself', await asService(issuer, 'enrollment')],
      ['a supervisor', await asSupervisor(issuer, 'hn-100')],
      ['an administrator', await asAdministrator(issuer, 'dpo-2')],
      ['an operator at a station', await atStation(issuer, 'hn-004', STATION)],
      ['an encoding station', await bearerFor(issuer, identities.encodingStation('enc-01'), 'enrollment')],
      ['an agency', await bearerFor(issuer, identities.agency('bhxh'), 'enrollment')],
    ];
    const request = { applicationId: submitted.applicationId, reference: submitted.reference };
    for (const [who, headers] of refused) {
      const client = createClient(PersonalisationDataService, running.grpc.address, {
        metadata: () => headers,
      });
      try {
        const details = await client.getPortrait(request).then(
          () => assert.fail(`a portrait was released to ${who}`),
          (e: unknown) => readErrorDetails(e),
        );
        assert.equal(details?.code, status.PERMISSION_DENIED, `${who}: ${details?.message}`);
        assert.equal(details?.errorInfo?.reason, 'NOT_ALLOWED', who);
      } finally {
        closeClient(client);
      }
    }
    // Card production's token for another service is not one for enrollment.
    const misaddressed = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(issuer, 'card-production', 'registry'),
    });
    try {
      await assert.rejects(misaddressed.getPortrait(request), (e) => code(e) === status.UNAUTHENTICATED);
    } finally {
      closeClient(misaddressed);
    }
    const audited = await running.audit.forSubject(submitted.citizenId);
    assert.ok(
      audited
        .filter((e) => e.action === 'portrait.released')
        .every((e) => e.actor === 'service:card-production'),
    );
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
      cardChanged('card-109', {
        applicationId: id,
        citizenId: approved.citizenId,
        status: cardStatus,
        version,
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

  it('starts a replacement only for the citizen’s own card: another citizen’s, an unknown or a cancelled one is refused before anything is recorded', async () => {
    const holder = await registerCitizen(registry, '001190000110');
    const other = await registerCitizen(registry, '001190000111');
    const replace = (personalId: string, replacesCardId: string, reason = ApplicationReason.LOST) =>
      operator.startApplication({ personalId, reason, replacesCardId });
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => assert.fail('a replacement was started'),
        (e: unknown) => readErrorDetails(e)!,
      );
    const recorded = async (personalId: string) => {
      const [row] = await running.db.query<{ n: string }>(
        `SELECT ((SELECT count(*) FROM enr_applications WHERE personal_id = $1)
          + (SELECT count(*) FROM enr_open_applications WHERE personal_id = $1))::text AS n`,
        [personalId],
      );
      return Number(row!.n);
    };

    // Card 110 was made before this enrollment knew of it (no application here): until card
    // production's news of it arrives it is unknown, refused with a retry hint.
    const early = await refusal(replace('001190000110', 'card-110'));
    assert.equal(early.code, status.FAILED_PRECONDITION);
    assert.equal(early.errorInfo?.reason, 'UNKNOWN_CARD');
    assert.equal(early.preconditionFailure?.violations[0]?.type, 'UNKNOWN_CARD');
    assert.equal(early.retryInfo?.retryDelay?.seconds, 30n);
    assert.equal(await recorded('001190000110'), 0);
    await kafka.publish([
      cardChanged('card-110', {
        applicationId: randomUUID(),
        citizenId: holder.citizenId,
        status: CardStatus.ACTIVATED,
        version: 7,
      }),
      cardChanged('card-111', {
        applicationId: randomUUID(),
        citizenId: other.citizenId,
        status: CardStatus.CANCELLED,
        version: 2,
      }),
    ]);
    const replaced = await eventually(
      () => replace('001190000110', 'card-110').catch((e: unknown) => readErrorDetails(e)!),
      (answer) => !('errorInfo' in answer && answer.errorInfo?.reason === 'UNKNOWN_CARD'),
    );
    assert.ok(
      'application' in replaced,
      JSON.stringify(replaced, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    const legitimate = replaced.application!.application!;
    assert.equal(legitimate.stage, ApplicationStage.CAPTURING);
    assert.equal(legitimate.replacesCardId, 'card-110');
    assert.equal(legitimate.citizenId, holder.citizenId);

    // The attack: citizen 111's application names someone else's card — one made elsewhere
    // (110's) or here (109's) — as the card it replaces, whatever the reason.
    for (const [cardId, reason] of [
      ['card-110', ApplicationReason.LOST],
      ['card-109', ApplicationReason.LOST],
      ['card-110', ApplicationReason.DAMAGED],
      ['card-109', ApplicationReason.RENEWAL],
    ] as const) {
      const details = await refusal(replace('001190000111', cardId, reason));
      assert.equal(details.code, status.PERMISSION_DENIED, `${cardId}: ${details.message}`);
      assert.equal(details.errorInfo?.reason, 'CARD_OF_ANOTHER_CITIZEN');
    }
    for (const cardId of [randomUUID(), 'garbage']) {
      const details = await refusal(replace('001190000111', cardId));
      assert.equal(details.code, status.FAILED_PRECONDITION);
      assert.equal(details.errorInfo?.reason, 'UNKNOWN_CARD');
    }
    // Never trimmed into card 110: a card id with a space is not one at all.
    const spaced = await refusal(replace('001190000111', 'card-110 '));
    assert.equal(spaced.code, status.INVALID_ARGUMENT);
    assert.equal(spaced.badRequest?.fieldViolations[0]?.field, 'replaces_card_id');
    const cancelledJob = await eventually(
      () => refusal(replace('001190000111', 'card-111')),
      (details) => details.errorInfo?.reason !== 'UNKNOWN_CARD',
    );
    assert.equal(cancelledJob.code, status.FAILED_PRECONDITION);
    assert.equal(cancelledJob.preconditionFailure?.violations[0]?.type, 'CARD_NOT_ISSUED');
    assert.equal(await recorded('001190000111'), 0, 'nothing recorded for the refused starts');
    // Refused, the citizen is not held: their own application starts.
    const own = (await start('001190000111', ApplicationReason.LOST)).application!.application!;
    assert.equal(own.stage, ApplicationStage.CAPTURING);
    assert.equal(own.replacesCardId, '');

    // The holder of a card made here replaces it.
    const renewed = (await replace('001190000109', 'card-109')).application!.application!;
    assert.equal(renewed.stage, ApplicationStage.CAPTURING);
    assert.equal(renewed.replacesCardId, 'card-109');
    const events = await eventually(
      async () => published.filter((e) => e.applicationId === renewed.applicationId),
      (list) => list.length > 0,
    );
    assert.equal(events[0]!.application!.replacesCardId, 'card-109');
    assert.ok(
      !published.some(
        (e) => e.application?.citizen?.personalId === '001190000111' && e.application.replacesCardId !== '',
      ),
      'no application of citizen 111 names a card',
    );
  });
});
