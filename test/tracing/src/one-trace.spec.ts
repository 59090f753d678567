/**
 * One trace across every hop (issue 9): in one process with the OpenTelemetry SDK and an in-memory
 * span exporter, the registry, enrollment and card production run on PostgreSQL (a fresh database
 * each) and the Kafka-protocol test broker. A citizen is registered; an application goes through
 * enrollment over real gRPC (start, face and fingerprints with real bytes, submit, approve); card
 * production consumes it from Kafka, personalises the card (fetching the portrait from enrollment)
 * and dispatches it to the station simulator, which encodes the chip and completes the job.
 *
 * The supervisor's ApproveApplication, enrollment's append, the relay's publish, card production's
 * consumption, its personalisation and dispatch and the station's CompleteJob are one trace, and
 * every span's parent is in it. No span name or attribute holds the citizen's name, id number or
 * birth date, nor any record id.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  StationSimulator,
  startCardProduction,
  type CardProductionConfig,
  type RunningCardProduction,
} from '@cancuoc/card-production';
import {
  DevelopmentIssuer,
  STATION_TOKEN_HEADER,
  bearerFor,
  developmentTokens,
  identities,
  type Identity,
} from '@cancuoc/auth';
import { startEnrollment, type EnrollmentConfig, type RunningEnrollment } from '@cancuoc/enrollment';
import { closeClient, createClient } from '@cancuoc/grpc';
import { startTestTelemetry, type TestTelemetry } from '@cancuoc/observability/testing';
import {
  ApplicationReason,
  ApplicationStage,
  EnrollmentService,
  ENROLLMENT_APPLICATION_TOPIC,
  FingerprintFormat,
  RegistryService,
  Sex,
} from '@cancuoc/proto';
import { startRegistry, type RegistryConfig, type RunningRegistry } from '@cancuoc/registry';
import {
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
  type TestDatabase,
} from '@cancuoc/testing';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { jpegImage, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';

const APPLICATIONS = ENROLLMENT_APPLICATION_TOPIC.name;
const APPROVE = 'cancuoc.enrollment.v1.EnrollmentService/ApproveApplication';
const GET_PORTRAIT = 'cancuoc.enrollment.v1.PersonalisationDataService/GetPortrait';
const COMPLETE_JOB = 'cancuoc.cardproduction.v1.EncodingStationService/CompleteJob';

/** The citizen: what must never reach a span or a log line. */
const CITIZEN = {
  personalId: '001190000517',
  familyName: 'Phạm',
  middleName: 'Thị',
  givenName: 'Xuân Hương',
  birthDate: '1990-05-17',
};

/** The services' one development issuer (in memory): every caller's token is minted by it. */
const issuer = await DevelopmentIssuer.inMemory();
const bearer = (identity: Identity, audience: string) => bearerFor(issuer, identity, audience);

/** The names of `span` and its ancestors, nearest first, each asserted to be in `span`'s trace. */
function ancestry(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (
    let s: ReadableSpan | undefined = span;
    s;
    s = s.parentSpanContext && byId.get(s.parentSpanContext.spanId)
  ) {
    assert.equal(s.spanContext().traceId, span.spanContext().traceId, `${s.name} is in the trace`);
    names.push(`${SpanKind[s.kind]} ${s.name}`);
  }
  return names;
}

/** Everything a span says: its name, status, attributes, events and links. */
function textOf(span: ReadableSpan): string {
  return JSON.stringify([
    span.name,
    span.status,
    span.attributes,
    span.events.map((e) => [e.name, e.attributes]),
    span.links.map((l) => l.attributes),
  ]);
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await sleep(100);
  }
}

function* chunks(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const sha256 = async (bytes: Uint8Array) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');

describe('one trace from the enrollment RPC to the station completing the card (PostgreSQL, Kafka test broker)', () => {
  let t: TestTelemetry;
  let broker: KafkaBroker;
  const databases: TestDatabase[] = [];
  let keyDir: string;
  let registry: RunningRegistry;
  let enrollment: RunningEnrollment;
  let cardProduction: RunningCardProduction;
  const closers: (() => void)[] = [];
  const failures: string[] = [];

  before(async () => {
    t = await startTestTelemetry('cancuoc-platform');
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    const [registryDb, enrollmentDb, cardDb] = await Promise.all([
      createTestDatabase('tracing_registry'),
      createTestDatabase('tracing_enrollment'),
      createTestDatabase('tracing_card_production'),
    ]);
    databases.push(registryDb, enrollmentDb, cardDb);
    const kafka = {
      kafkaBrokers: broker.bootstrapServers,
      kafkaIdempotent: false,
      kafkaSecurity: {},
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      auth: { mode: 'issuer', issuer },
      tls: undefined,
      dataDir: undefined,
      redisUrl: undefined,
    } as const;

    const registryConfig: RegistryConfig = { ...kafka, databaseUrl: registryDb.url, staleAfterDays: 3650 };
    registry = await startRegistry(registryConfig, { migrate: true });

    const enrollmentConfig: EnrollmentConfig = {
      ...kafka,
      databaseUrl: enrollmentDb.url,
      registryAddress: registry.grpc.address,
      masterKeys: [randomBytes(32)],
      maxFaceBytes: 2 * 1024 * 1024,
      maxFingerprintBytes: 4 * 1024 * 1024,
      startsPerMinute: 1_000,
      retryInitialMs: 200,
      retryMaxMs: 1_000,
      reprocessIntervalMs: 100,
      stuckAfterMs: 60_000,
    };
    enrollment = await startEnrollment(enrollmentConfig, {
      migrate: true,
      onError: (error) => failures.push(`enrollment: ${(error as Error)?.name}`),
    });

    keyDir = await mkdtemp(join(tmpdir(), 'cancuoc-tracing-keys-'));
    const cardConfig: CardProductionConfig = {
      ...kafka,
      databaseUrl: cardDb.url,
      redisKeyPrefix: 'unused:',
      enrollmentAddress: enrollment.grpc.address,
      keyDir,
      developmentPki: true,
      documentSignerDays: 90,
      dataKey: randomBytes(32),
      maxAttempts: 3,
      leaseMs: 60_000,
      heartbeatMs: 15_000,
      retryBackoffMs: 200,
      maxRetryBackoffMs: 1_000,
      sweepMs: 500,
      pollMs: 200,
      personalisationConcurrency: 2,
      revocationListValidityMs: 3_600_000,
    };
    cardProduction = await startCardProduction(cardConfig, {
      migrate: true,
      onError: (component, error) => failures.push(`card-production ${component}: ${(error as Error)?.name}`),
    });
  });

  after(async () => {
    for (const close of closers) close();
    await cardProduction?.stop();
    await enrollment?.stop();
    await registry?.stop();
    await broker?.stop();
    await Promise.all(databases.map((db) => db.drop()));
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
    await t?.shutdown();
  });

  it('follows an application from ApproveApplication to the station CompleteJob in one trace, with no personal data', async () => {
    const clerk = createClient(RegistryService, registry.grpc.address, {
      metadata: () => bearer(identities.clerk('hn-c01', '01', { national: true }), 'registry'),
      defaultTimeoutMs: 20_000,
    });
    const operator = createClient(EnrollmentService, enrollment.grpc.address, {
      metadata: async () => ({
        ...(await bearer(identities.operator('hn-001'), 'enrollment')),
        // Signed in at the enrollment station: the station's own token beside the operator's.
        [STATION_TOKEN_HEADER]: await issuer.mint({
          ...identities.enrollmentStation('hn-st-01'),
          audience: 'enrollment',
        }),
      }),
      defaultTimeoutMs: 30_000,
    });
    const supervisor = createClient(EnrollmentService, enrollment.grpc.address, {
      metadata: () => bearer(identities.supervisor('hn-100'), 'enrollment'),
      defaultTimeoutMs: 30_000,
    });
    for (const client of [clerk, operator, supervisor]) closers.push(() => closeClient(client));

    // The register knows her; requests full of her data go through every service.
    const address = { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' };
    await clerk.registerExistingCitizen({
      personalId: CITIZEN.personalId,
      facts: {
        name: {
          familyName: CITIZEN.familyName,
          middleName: CITIZEN.middleName,
          givenName: CITIZEN.givenName,
        },
        birthDate: CITIZEN.birthDate,
        sex: Sex.FEMALE,
        nationality: 'VNM',
        ethnicity: 'Kinh',
        religion: 'Không',
        birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
        homeTown: address,
        permanentResidence: address,
      },
    });

    const started = await operator.startApplication({
      personalId: CITIZEN.personalId,
      reason: ApplicationReason.FIRST_ISSUE,
    });
    const applicationId = started.application!.application!.applicationId;
    const stageOf = async () =>
      (await supervisor.getApplication({ applicationId })).application!.application!.stage;
    await eventually(stageOf, (s) => s === ApplicationStage.CAPTURING, 'the register lookup');

    const face = jpegImage(480, 640);
    await operator.captureFace([
      {
        part: {
          case: 'header',
          value: { applicationId, size: BigInt(face.length), sha256: await sha256(face) },
        },
      },
      ...[...chunks(face, 64 * 1024)].map((c) => ({ part: { case: 'chunk' as const, value: c } })),
    ]);
    const prints = tenPrintRecord(syntheticPerson(517));
    await operator.captureFingerprints([
      {
        part: {
          case: 'header',
          value: {
            upload: { applicationId, size: BigInt(prints.length), sha256: await sha256(prints) },
            format: FingerprintFormat.ISO_19794_2,
            exceptions: [],
          },
        },
      },
      ...[...chunks(prints, 4096)].map((c) => ({ part: { case: 'chunk' as const, value: c } })),
    ]);
    await operator.submitForReview({ applicationId });
    await eventually(stageOf, (s) => s === ApplicationStage.REVIEW, 'the duplicate check');
    const approved = await supervisor.approveApplication({ applicationId });
    assert.equal(approved.application!.application!.stage, ApplicationStage.SUBMITTED);

    // A station takes the card from the stream, checks and encodes it, and completes the job.
    const csca = (await readFile(join(keyDir, 'csca.cert.pem'), 'utf8'))
      .replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, '');
    const simulator = new StationSimulator({
      address: cardProduction.grpc.address,
      tokens: developmentTokens(issuer, identities.encodingStation('hn-enc-01')),
      capacity: 1,
      trustedCscas: [new Uint8Array(Buffer.from(csca, 'base64'))],
      maxJobs: 1,
    });
    simulator.start();
    assert.deepEqual(await simulator.done, { completed: 1, failed: 0, voided: 0 });

    await eventually(
      async () => t.spans(),
      (spans) => spans.some((s) => s.name === COMPLETE_JOB && s.kind === SpanKind.SERVER),
      'the CompleteJob span',
    );
    const spans = t.spans();
    const approve = spans.find((s) => s.name === APPROVE && s.kind === SpanKind.SERVER);
    assert.ok(approve, 'ApproveApplication was traced');
    const traceId = approve.spanContext().traceId;
    const trace = spans.filter((s) => s.spanContext().traceId === traceId);

    // The station's completion descends, span by span, from the supervisor's call.
    const completed = trace.find((s) => s.name === COMPLETE_JOB && s.kind === SpanKind.SERVER);
    assert.ok(completed, 'CompleteJob is in the trace of ApproveApplication');
    assert.deepEqual(ancestry(completed, trace), [
      `SERVER ${COMPLETE_JOB}`,
      `CLIENT ${COMPLETE_JOB}`,
      'PRODUCER CardProduction.dispatch',
      'CLIENT EventStore.appendToStream',
      `CONSUMER process ${APPLICATIONS}`,
      'CLIENT EventStore.appendToStream',
      `SERVER ${APPROVE}`,
      `CLIENT ${APPROVE}`,
    ]);
    // The relay's publish of the approval is in the trace too, under the append it carried.
    const send = trace.find((s) => s.name === `send ${APPLICATIONS}`);
    assert.ok(send, `send ${APPLICATIONS} is in the trace`);
    assert.deepEqual(ancestry(send, trace).slice(1), ancestry(completed, trace).slice(5));
    // Personalisation, with the portrait's fetch from enrollment, hangs under card production's append.
    const personalise = trace.find((s) => s.name === 'CardProduction.personalise');
    assert.ok(personalise, 'personalisation is in the trace');
    assert.deepEqual(ancestry(personalise, trace).slice(1), ancestry(completed, trace).slice(3));
    const portrait = trace.find((s) => s.name === GET_PORTRAIT && s.kind === SpanKind.SERVER);
    assert.ok(portrait, 'GetPortrait is in the trace');
    assert.ok(ancestry(portrait, trace).includes('INTERNAL CardProduction.personalise'));
    // Every span of the trace has its parent in the trace, but the client's first call.
    const ids = new Set(trace.map((s) => s.spanContext().spanId));
    for (const s of trace) {
      if (s !== trace.find((x) => x.name === APPROVE && x.kind === SpanKind.CLIENT))
        assert.ok(s.parentSpanContext && ids.has(s.parentSpanContext.spanId), `${s.name} has its parent`);
    }
    // Card production's consumer and the station are on the Kafka protocol and gRPC, in one trace.
    const consumed = trace.find((s) => s.name === `process ${APPLICATIONS}`)!;
    assert.equal(consumed.attributes['messaging.system.name'], 'kafka');
    assert.equal(consumed.attributes['messaging.consumer.group.name'], 'card-production.applications');

    // Nothing of her anywhere: not in this trace, nor in any other span of the run (the privacy
    // guard checks every span for the shapes of personal data; the literal values are checked too).
    const secrets = [
      CITIZEN.personalId,
      CITIZEN.birthDate,
      CITIZEN.familyName,
      CITIZEN.givenName,
      applicationId,
      approved.application!.application!.citizenId,
    ];
    for (const s of spans) {
      const text = textOf(s);
      for (const secret of secrets)
        assert.ok(!text.includes(secret), `a span of ${s.name} holds personal data`);
    }
    assert.ok(t.spansChecked >= spans.length);
    assert.deepEqual(t.privacyViolations, []);
    assert.deepEqual(failures, []);
  });
});
