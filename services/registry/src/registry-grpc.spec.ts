/**
 * The registry end to end: a real gRPC client against the service on PostgreSQL, Redis and the
 * Kafka-protocol test broker (topics from the catalogue), as SREs run it in server mode.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { SpanKind } from '@opentelemetry/api';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  closeClient,
  createClient,
  readErrorDetails,
  signToken,
  status,
  type GrpcClient,
} from '@cancuoc/grpc';
import { KafkaTransport, toKafkaRecord } from '@cancuoc/messaging';
import { METRICS } from '@cancuoc/observability';
import { pointsOf, startTestTelemetry, type TestTelemetry } from '@cancuoc/observability/testing';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  CardChangedSchema,
  CardStatus,
  CitizenRecordChangedSchema,
  MaritalStatus,
  RegistryService,
  REGISTRY_CITIZEN_TOPIC,
  Sex,
  VerificationOutcome,
} from '@cancuoc/proto';
import {
  TEST_REDIS_URL,
  catalogueTopics,
  createTestDatabase,
  startKafkaBroker,
  type KafkaBroker,
} from '@cancuoc/testing';
import { startRegistry, type RunningRegistry } from './app.js';
import { TODAY } from './test-support/registry-fixture.js';

const SECRET = 'registry-test-secret-0123456789-0123456789';
const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };
const BA_DINH = { provinceCode: '001', communeCode: '00004', detail: '1 Điện Biên Phủ' };

function facts(overrides: Record<string, unknown> = {}) {
  return {
    name: { familyName: 'Võ', middleName: 'Thị', givenName: 'Sáu' },
    birthDate: '1988-02-29',
    sex: Sex.FEMALE,
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
    homeTown: CAI_KHE,
    permanentResidence: CAI_KHE,
    ...overrides,
  };
}

function code(error: unknown): number | undefined {
  return readErrorDetails(error)?.code;
}

describe('registry over gRPC (PostgreSQL, Redis, Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  let dropDb: () => Promise<void>;
  let running: RunningRegistry;
  let client: GrpcClient<typeof RegistryService>;
  // The whole suite runs under the SDK with the privacy guard: every span it makes is checked.
  let telemetry: TestTelemetry;

  before(async () => {
    telemetry = await startTestTelemetry('registry');
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    const db = await createTestDatabase('registry_grpc');
    dropDb = db.drop;
    running = await startRegistry(
      {
        databaseUrl: db.url,
        dataDir: undefined,
        redisUrl: TEST_REDIS_URL,
        kafkaBrokers: broker.bootstrapServers,
        kafkaIdempotent: false,
        kafkaSecurity: {},
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        authSecret: SECRET,
        staleAfterDays: 365,
      },
      { migrate: true, today: () => TODAY },
    );
    const token = signToken(SECRET, { sub: 'clerk:hn-001', aud: 'registry' });
    client = createClient(RegistryService, running.grpc.address, {
      metadata: () => ({ authorization: `Bearer ${token}` }),
      defaultTimeoutMs: 20_000,
    });
  });
  after(async () => {
    if (client) closeClient(client);
    await running?.stop();
    await dropDb?.();
    await broker?.stop();
    await telemetry?.shutdown();
  });

  it('refuses a caller without a valid token', async () => {
    const anonymous = createClient(RegistryService, running.grpc.address);
    try {
      await assert.rejects(
        anonymous.getCitizen({ personalId: '001188000001', purpose: 'test' }),
        (e) => code(e) === status.UNAUTHENTICATED,
      );
    } finally {
      closeClient(anonymous);
    }
  });

  it('reports itself SERVING on grpc.health.v1 without credentials', async () => {
    const health = createClient(Health, running.grpc.address);
    try {
      const reply = await health.check({ service: RegistryService.typeName });
      assert.equal(reply.status, HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      closeClient(health);
    }
  });

  it('registers, changes and reads a record: a read after a write sees the write', async () => {
    const { registration } = await client.registerExistingCitizen({
      facts: facts(),
      personalId: '001188000001',
    });
    assert.equal(registration?.personalId, '001188000001');
    const first = await client.getCitizen({ personalId: '001188000001', purpose: 'test' });
    assert.equal(first.citizen?.givenName, 'Sáu');
    await client.changeName({
      citizen: { personalId: '001188000001' },
      name: { familyName: 'Võ', middleName: 'Thị', givenName: 'Bảy' },
      reason: 'court decision',
    });
    const second = await client.getCitizen({ personalId: '001188000001', purpose: 'test' });
    assert.equal(second.citizen?.givenName, 'Bảy');
    assert.equal(second.recordVersion, first.recordVersion + 1n);
  });

  it('audits every read with the caller, the stated purpose and the fields, and refuses a read without purpose', async () => {
    await client.registerExistingCitizen({ facts: facts(), personalId: '001188000005' });
    await assert.rejects(
      client.getCitizen({ personalId: '001188000005' }),
      (e) => readErrorDetails(e)?.badRequest?.fieldViolations[0]?.field === 'purpose',
    );
    await client.getCitizen({ personalId: '001188000005', purpose: 'card-application' });
    await client.getCitizenHistory({ personalId: '001188000005', purpose: 'residence-check' });
    const { entries } = await client.getAccessLog({ personalId: '001188000005', purpose: 'citizen asked' });
    assert.deepEqual(
      entries.map((e) => [e.actor, e.action, e.purpose]),
      [
        ['clerk:hn-001', 'citizen.read', 'card-application'],
        ['clerk:hn-001', 'citizen.history', 'residence-check'],
        ['clerk:hn-001', 'citizen.access-log', 'citizen asked'],
      ],
    );
    assert.ok(entries[0]!.fields.includes('ethnicity') && entries[0]!.fields.includes('religion'));
    assert.ok(!JSON.stringify(entries).includes('001188000005'), 'the log names fields, never values');
  });

  it('answers bad input with INVALID_ARGUMENT and every field violation', async () => {
    await assert.rejects(
      client.registerBirth({
        facts: facts({
          birthDate: '2030-01-01',
          nationality: 'Vietnam',
          birthPlace: { provinceCode: '092', communeCode: '99999' },
        }),
      }),
      (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        const fields = details?.badRequest?.fieldViolations.map((v) => v.field) ?? [];
        for (const f of ['facts.birth_date', 'facts.nationality', 'facts.birth_place.commune_code']) {
          assert.ok(fields.includes(f), `${f} in ${fields.join()}`);
        }
        return true;
      },
    );
  });

  it('maps the register’s refusals to NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION and ABORTED', async () => {
    await assert.rejects(
      client.getCitizen({ personalId: '001188999999', purpose: 'test' }),
      (e) => code(e) === status.NOT_FOUND,
    );
    await client.registerExistingCitizen({ facts: facts(), personalId: '001188000002' });
    await assert.rejects(
      client.registerExistingCitizen({ facts: facts(), personalId: '001188000002' }),
      (e) => code(e) === status.ALREADY_EXISTS,
    );
    const ref = { personalId: '001188000002' };
    const { result } = await client.recordDeath({
      citizen: ref,
      dateOfDeath: '2026-11-01',
      certificateRef: 'KT-77',
    });
    await assert.rejects(
      client.registerPermanentResidence({ citizen: ref, address: BA_DINH, since: '2026-11-02' }),
      (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.FAILED_PRECONDITION);
        assert.equal(details?.preconditionFailure?.violations[0]?.type, 'CITIZEN_DECEASED');
        return true;
      },
    );
    await client.recordVerification({
      citizen: ref,
      verifiedBy: 'officer-9',
      outcome: VerificationOutcome.CONFIRMED,
    });
    await assert.rejects(
      client.recordVerification({
        citizen: { ...ref, expectedVersion: result!.recordVersion },
        verifiedBy: 'officer-9',
        outcome: VerificationOutcome.CONFIRMED,
      }),
      (e) => code(e) === status.ABORTED,
    );
  });

  it('gives a retried command with the same idempotency key one effect', async () => {
    const { registration } = await client.registerBirth({
      facts: facts({ birthDate: '2026-11-20', birthPlace: CAI_KHE, permanentResidence: undefined }),
    });
    const personalId = registration!.personalId;
    const request = { citizen: { personalId }, address: CAI_KHE, since: '2026-11-21' };
    const once = await client.registerPermanentResidence(request, { idempotencyKey: 'perm-1' });
    const again = await client.registerPermanentResidence(request, { idempotencyKey: 'perm-1' });
    assert.deepEqual(again, once);
    const { entries } = await client.getCitizenHistory({ personalId, purpose: 'test' });
    assert.deepEqual(
      entries.map((e) => e.change),
      ['CitizenRegistered', 'PermanentResidenceRegistered'],
    );
    assert.equal(entries[0]!.actor, 'clerk:hn-001');
  });

  it('searches by name and birth date and by commune, and reports quality per commune', async () => {
    await client.registerExistingCitizen({
      facts: facts({
        name: { familyName: 'Đặng', middleName: '', givenName: 'Thu' },
        birthDate: '1970-01-01',
      }),
      personalId: '001170000001',
    });
    const deadline = Date.now() + 20_000;
    let found: string[] = [];
    while (found.length === 0 && Date.now() < deadline) {
      const { citizens } = await client.searchCitizens({
        criteria: { case: 'byName', value: { fullName: 'DANG THU', birthDate: '1970-01-01' } },
        purpose: 'test',
      });
      found = citizens.map((c) => c.personalId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found, ['001170000001']);
    const byCommune = await client.searchCitizens({
      criteria: { case: 'byCommune', value: { communeCode: '31120' } },
      pageSize: 2,
      purpose: 'test',
    });
    assert.equal(byCommune.citizens.length, 2);
    assert.notEqual(byCommune.nextPageToken, '');
    const report = await client.getQualityReport({ provinceCode: '092' });
    assert.ok(report.total!.citizens >= 3n);
    assert.equal(report.communes[0]?.unitCode, '31120');
    await assert.rejects(
      client.getQualityReport({ provinceCode: 'x' }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
  });

  it('records residence, family and corrections through every remaining command', async () => {
    const ref = { personalId: '001188000003' };
    await client.registerExistingCitizen({ facts: facts(), personalId: ref.personalId });
    const spouse = await client.registerExistingCitizen({
      facts: facts({
        name: { familyName: 'Lý', middleName: 'Văn', givenName: 'Tám' },
        sex: Sex.MALE,
        birthDate: '1985-06-01',
      }),
      personalId: '001085000003',
    });
    const father = spouse.registration!.citizenId;
    await client.registerTemporaryResidence({
      citizen: ref,
      address: BA_DINH,
      from: '2026-09-01',
      until: '2027-09-01',
    });
    await client.endTemporaryResidence({ citizen: ref, endedOn: '2026-10-01' });
    await assert.rejects(
      client.endTemporaryResidence({ citizen: ref, endedOn: '2026-10-02' }),
      (e) => readErrorDetails(e)?.preconditionFailure?.violations[0]?.type === 'NO_TEMPORARY_RESIDENCE',
    );
    await client.recordParents({ citizen: ref, fatherCitizenId: father });
    await client.changeMaritalStatus({
      citizen: ref,
      status: MaritalStatus.MARRIED,
      spouseCitizenId: father,
      since: '2010-05-05',
    });
    await client.correctField({
      citizen: ref,
      field: 'ethnicity',
      value: { case: 'text', value: 'Tày' },
      reason: 'clerical error at collection',
      evidenceRef: 'HS-2026-0042',
    });
    await client.correctField({
      citizen: ref,
      field: 'name',
      value: { case: 'name', value: { familyName: 'Võ', middleName: 'Thị', givenName: 'Sáo' } },
      reason: 'spelling',
      evidenceRef: 'HS-2026-0043',
    });
    await assert.rejects(
      client.correctField({
        citizen: ref,
        field: 'ethnicity',
        value: { case: 'text', value: 'Tày' },
        reason: '',
        evidenceRef: '',
      }),
      (e) => {
        const fields = readErrorDetails(e)?.badRequest?.fieldViolations.map((v) => v.field) ?? [];
        return fields.includes('reason') && fields.includes('evidence_ref');
      },
    );
    const view = await client.getCitizen({ ...ref, purpose: 'test' });
    assert.equal(view.citizen?.ethnicity, 'Tày');
    assert.equal(view.citizen?.givenName, 'Sáo');
    assert.equal(view.citizen?.fatherCitizenId, father);
    assert.equal(view.citizen?.spouseCitizenId, father);
    assert.equal(view.citizen?.maritalStatus, MaritalStatus.MARRIED);
    assert.equal(view.citizen?.temporaryResidence, undefined);
    const { entries } = await client.getCitizenHistory({ ...ref, purpose: 'test' });
    const corrected = entries
      .filter((e) => e.change === 'FieldCorrected')
      .map((e) => JSON.parse(e.detailsJson));
    assert.deepEqual(corrected[0], {
      field: 'ethnicity',
      previous: 'Kinh',
      corrected: 'Tày',
      reason: 'clerical error at collection',
      evidenceRef: 'HS-2026-0042',
    });
  });

  it('publishes every change on internal.registry.citizen.v1 with the whole record', async () => {
    const consumer = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'registry-test',
      idempotent: false,
    });
    const seen = new Map<string, string>();
    const subscription = await consumer.subscribe({
      group: 'registry-test-reader',
      topics: [REGISTRY_CITIZEN_TOPIC.name],
      handle: async (record) => {
        const event = fromBinary(CitizenRecordChangedSchema, record.value!);
        assert.equal(record.headers.ce_type, 'cancuoc.events.v1.CitizenRecordChanged');
        assert.equal(record.key, event.citizenId);
        seen.set(`${event.citizen?.personalId}@${event.recordVersion}`, event.citizen?.givenName ?? '');
      },
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!seen.has('001188000001@3') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    } finally {
      await subscription.stop();
      await consumer.close();
    }
    assert.equal(seen.get('001188000001@1'), 'Sáu');
    assert.equal(seen.get('001188000001@2'), 'Sáu', 'the residence registered with the record');
    assert.equal(seen.get('001188000001@3'), 'Bảy');
  });

  it('shows the cards card production reports for a citizen, ignoring an older report that comes late', async () => {
    const { registration } = await client.registerExistingCitizen({
      facts: facts(),
      personalId: '001188000077',
    });
    const citizenId = registration!.citizenId;
    const cardId = '0192f0aa-0000-7000-8000-000000000001';
    const cardEvent = (version: number, status: CardStatus, card = cardId) =>
      toKafkaRecord({
        topic: CARD_PRODUCTION_CARD_TOPIC.name,
        schema: CardChangedSchema,
        data: create(CardChangedSchema, {
          cardId: card,
          cardVersion: BigInt(version),
          card: {
            cardId: card,
            citizenId,
            applicationId: '0192f0aa-0000-7000-8000-0000000000a1',
            documentNumber: '188000077',
            status,
            issueDate: '2026-11-20',
            expiryDate: '2028-02-29',
            changedAt: '2026-11-26T03:00:00Z',
          },
        }),
        id: `0192f0aa-0000-7000-8000-0000000${version}${card.slice(-5)}`,
        source: '/cancuoc/card-production',
        time: new Date(),
        subject: cardId,
        traceparent: undefined,
        correlationId: undefined,
        causationId: undefined,
        sequence: version,
      });
    const producer = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'card-production-test',
      idempotent: false,
    });
    const cardsOf = async () =>
      (await client.getCitizen({ personalId: '001188000077', purpose: 'test' })).cards;
    const until = async (what: string, ok: (cards: Awaited<ReturnType<typeof cardsOf>>) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (let cards = await cardsOf(); !ok(cards); cards = await cardsOf()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await producer.publish([cardEvent(3, CardStatus.ENCODED)]);
      await until('the encoded card', (cards) => cards[0]?.status === CardStatus.ENCODED);
      // An older version, redelivered after the newer one, changes nothing. The record after it has
      // the same key (so the same partition, after it): once that one shows, the old one was handled.
      const marker = '0192f0aa-0000-7000-8000-000000000002';
      await producer.publish([
        cardEvent(2, CardStatus.QUEUED),
        { ...cardEvent(1, CardStatus.CANCELLED, marker), key: cardId },
      ]);
      await until('the record after the late one', (cards) => cards.some((c) => c.cardId === marker));
      assert.equal((await cardsOf()).find((c) => c.cardId === cardId)?.status, CardStatus.ENCODED);
      await producer.publish([cardEvent(6, CardStatus.DELIVERED)]);
      await until(
        'the delivered card',
        (cards) => cards.find((c) => c.cardId === cardId)?.status === CardStatus.DELIVERED,
      );
    } finally {
      await producer.close();
    }
    const card = (await cardsOf()).find((c) => c.cardId === cardId);
    assert.equal(card?.documentNumber, '188000077');
    assert.equal(card?.expiryDate, '2028-02-29');
    assert.equal((await cardsOf()).length, 2);
  });

  it('puts no personal data in any span or metric attribute, though every request above carried some', async () => {
    const spans = telemetry.spans();
    const served = new Set(spans.filter((s) => s.kind === SpanKind.SERVER).map((s) => s.name));
    for (const method of ['RegisterBirth', 'GetCitizen', 'SearchCitizens', 'CorrectField', 'GetAccessLog']) {
      assert.ok(served.has(`cancuoc.registry.v1.RegistryService/${method}`), method);
    }
    assert.ok(spans.some((s) => s.name === 'send internal.registry.citizen.v1'));
    assert.ok(spans.some((s) => s.name === 'Subscription registry-citizens'));
    assert.ok(telemetry.spansChecked >= spans.length && spans.length > 50, String(spans.length));
    assert.deepEqual(telemetry.privacyViolations, []);
    const collected = await telemetry.collectMetrics();
    const rpcs = pointsOf(collected, METRICS.rpcServerDuration.name);
    assert.ok(rpcs.some((p) => p.attributes['rpc.status_code'] === 'INVALID_ARGUMENT'));
    assert.ok(rpcs.some((p) => p.attributes['rpc.status_code'] === 'NOT_FOUND'));
    for (const metric of collected) {
      for (const point of metric.dataPoints) {
        for (const value of Object.values(point.attributes)) {
          assert.doesNotMatch(
            String(value),
            /\d{9}|[0-9a-f]{8}-[0-9a-f]{4}-|[^\x20-\x7e]/,
            metric.descriptor.name,
          );
        }
      }
    }
  });
});
