/**
 * The registry end to end: a real gRPC client against the service on PostgreSQL, Redis and the
 * Kafka-protocol test broker (topics from the catalogue), as SREs run it in server mode — with
 * tokens from an in-process development issuer instead of the OpenID provider, and the policy and
 * jurisdiction checks they meet.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { SpanKind } from '@opentelemetry/api';
import { bearerFor, DevelopmentIssuer, identities, type Identity } from '@cancuoc/auth';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  closeClient,
  createClient,
  readErrorDetails,
  status,
  type GrpcClient,
} from '@cancuoc/grpc';
import { KafkaTransport, toKafkaRecord } from '@cancuoc/messaging';
import { createLogger, METRICS } from '@cancuoc/observability';
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

/** PERMISSION_DENIED with `reason` in its ErrorInfo, and nothing of the request in the message. */
function deniedFor(reason: string, ...unsaid: string[]) {
  return (error: unknown) => {
    const details = readErrorDetails(error);
    assert.equal(details?.code, status.PERMISSION_DENIED, details?.message);
    assert.equal(details?.errorInfo?.reason, reason);
    for (const value of unsaid) assert.ok(!details.message.includes(value), details.message);
    return true;
  };
}

/** A person with no role at all: signed in, and allowed nothing. */
const NOBODY: Identity = { subject: 'person:nobody', kind: 'person', roles: [] };
/** Clerks of Cần Thơ (province 92), of its ward Cái Khế (31120), of Hồ Chí Minh City (79), national. */
const CAN_THO_CLERK = identities.clerk('hn-001', '92');
const CAI_KHE_CLERK = identities.clerk('ck-1', '31120');
const NINH_KIEU_CLERK = identities.clerk('nk-1', '31135');
const HCM_CLERK = identities.clerk('hcm-1', '79');
const NATIONAL_CLERK = identities.clerk('tw-1', '01', { national: true });

type AnyCall = (request: object) => Promise<unknown>;
/** Calls the RPC named by its local name (`getCitizen`) with `request`, whatever its type. */
const call = (client: GrpcClient<typeof RegistryService>, method: string, request: object = {}) =>
  (client[method as keyof typeof client] as unknown as AnyCall)(request);

describe('registry over gRPC (PostgreSQL, Redis, Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  let dropDb: () => Promise<void>;
  let running: RunningRegistry;
  let client: GrpcClient<typeof RegistryService>;
  let issuer: DevelopmentIssuer;
  const clients: GrpcClient<typeof RegistryService>[] = [];
  /** A client whose calls carry `identity`'s token, minted by `by` (default the registry's issuer). */
  const clientAs = async (
    identity: Identity,
    by?: DevelopmentIssuer,
    audience = 'registry',
    ttlSeconds?: number,
  ) => {
    const metadata = await bearerFor(by ?? issuer, identity, audience, ttlSeconds);
    const made = createClient(RegistryService, running.grpc.address, {
      metadata: () => metadata,
      defaultTimeoutMs: 20_000,
    });
    clients.push(made);
    return made;
  };
  // The whole suite runs under the SDK with the privacy guard: every span it makes is checked.
  let telemetry: TestTelemetry;

  before(async () => {
    telemetry = await startTestTelemetry('registry');
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    const db = await createTestDatabase('registry_grpc');
    dropDb = db.drop;
    issuer = await DevelopmentIssuer.inMemory();
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
        auth: { mode: 'issuer', issuer },
        tls: undefined,
        staleAfterDays: 365,
      },
      // The refusals below are expected: their `auth.refused` warnings would only be noise here.
      { migrate: true, today: () => TODAY, logger: createLogger({ service: 'registry', level: 'error' }) },
    );
    // The suite's clerk works in Cần Thơ, where most of its citizens live.
    client = await clientAs(CAN_THO_CLERK);
  });
  after(async () => {
    for (const made of clients) closeClient(made);
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
    // A birth with no residence yet lies in no unit: only a national clerk may register it.
    const national = await clientAs(NATIONAL_CLERK);
    const { registration } = await national.registerBirth({
      facts: facts({ birthDate: '2026-11-20', birthPlace: CAI_KHE, permanentResidence: undefined }),
    });
    const personalId = registration!.personalId;
    const request = { citizen: { personalId }, address: CAI_KHE, since: '2026-11-21' };
    const once = await national.registerPermanentResidence(request, { idempotencyKey: 'perm-1' });
    const again = await national.registerPermanentResidence(request, { idempotencyKey: 'perm-1' });
    assert.deepEqual(again, once);
    // The key replays only to whoever made the request: another clerk cannot reuse it.
    await assert.rejects(
      client.registerPermanentResidence(request, { idempotencyKey: 'perm-1' }),
      (e) => readErrorDetails(e)?.badRequest?.fieldViolations[0]?.reason === 'KEY_REUSED',
    );
    const { entries } = await client.getCitizenHistory({ personalId, purpose: 'test' });
    assert.deepEqual(
      entries.map((e) => e.change),
      ['CitizenRegistered', 'PermanentResidenceRegistered'],
    );
    assert.equal(entries[0]!.actor, 'clerk:tw-1');
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
    const husband = spouse.registration!.citizenId;
    const parent = await client.registerExistingCitizen({
      facts: facts({
        name: { familyName: 'Võ', middleName: 'Văn', givenName: 'Một' },
        sex: Sex.MALE,
        birthDate: '1960-03-04',
      }),
      personalId: '001060000003',
    });
    const father = parent.registration!.citizenId;
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
      spouseCitizenId: husband,
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
    assert.equal(view.citizen?.spouseCitizenId, husband);
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

  it('refuses every RPC to callers the policy grants none of it, before the handler runs', async () => {
    // Each caller with the RPCs its grants do allow (their handler runs and finds the empty request wanting).
    const callers: ReadonlyArray<readonly [Identity, readonly string[]]> = [
      [identities.agency('bhxh'), []],
      [identities.encodingStation('enc-1'), []],
      [identities.enrollmentStation('st-1'), []],
      [NOBODY, []],
      [identities.administrator('ops-1'), ['getQualityReport']],
      [identities.service('card-production'), []],
      [identities.service('enrollment'), ['getCitizen']],
    ];
    assert.equal(RegistryService.methods.length, 18);
    for (const [identity, allowed] of callers) {
      const caller = await clientAs(identity);
      for (const method of RegistryService.methods) {
        const what = `${identity.subject} calling ${method.name}`;
        const outcome = await call(caller, method.localName).then(
          () => assert.fail(`${what} succeeded`),
          (e: unknown) => readErrorDetails(e),
        );
        if (allowed.includes(method.localName)) {
          assert.equal(outcome?.code, status.INVALID_ARGUMENT, what);
        } else {
          assert.equal(outcome?.code, status.PERMISSION_DENIED, what);
          assert.equal(outcome?.errorInfo?.reason, 'NOT_ALLOWED', what);
        }
      }
    }
  });

  it('refuses a token of another issuer’s key, an expired one, one for another service and an HMAC one', async () => {
    const stranger = await DevelopmentIssuer.inMemory(); // the same issuer name, its own key
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid: issuer.currentKeyId })}.${part({
      iss: issuer.issuer,
      aud: 'registry',
      sub: 'clerk:forger',
      kind: 'person',
      roles: ['clerk', 'national'],
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
    })}`;
    const hmac = `${unsigned}.${createHmac('sha256', 'any-shared-secret-0123456789-0123456789').update(unsigned).digest('base64url')}`;
    const forged = createClient(RegistryService, running.grpc.address, {
      metadata: () => ({ authorization: `Bearer ${hmac}` }),
    });
    clients.push(forged);
    const refused = {
      'another key': await clientAs(NATIONAL_CLERK, stranger),
      expired: await clientAs(NATIONAL_CLERK, issuer, 'registry', -120),
      'another audience': await clientAs(NATIONAL_CLERK, issuer, 'enrollment'),
      HS256: forged,
    };
    for (const [what, caller] of Object.entries(refused)) {
      await assert.rejects(caller.getCitizen({ personalId: '001188000001', purpose: 'test' }), (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.UNAUTHENTICATED, what);
        assert.equal(details?.errorInfo?.reason, 'INVALID_TOKEN', what);
        return true;
      });
    }
  });

  describe('jurisdiction', () => {
    /** Lives in Cái Khế (Cần Thơ); registered by the Cần Thơ clerk. */
    const here = { personalId: '001188000301' };
    /** Lives in Ba Đình (Hà Nội); registered by a national clerk. */
    const there = { personalId: '001188000302' };
    const purpose = 'checking the record';

    it('lets a clerk register, change and read only records residing within their unit', async () => {
      const hcm = await clientAs(HCM_CLERK);
      const caiKhe = await clientAs(CAI_KHE_CLERK);
      const ninhKieu = await clientAs(NINH_KIEU_CLERK);
      const national = await clientAs(NATIONAL_CLERK);
      await client.registerExistingCitizen({ facts: facts(), personalId: here.personalId });
      // A registration is judged by the residence it records: refused, and the number left unclaimed.
      await assert.rejects(
        hcm.registerExistingCitizen({ facts: facts(), personalId: there.personalId }),
        deniedFor('OUTSIDE_JURISDICTION', there.personalId),
      );
      await assert.rejects(
        hcm.registerBirth({ facts: facts({ birthDate: '2026-11-02', birthPlace: CAI_KHE }) }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(
        client.registerExistingCitizen({
          facts: facts({ permanentResidence: BA_DINH }),
          personalId: there.personalId,
        }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await national.registerExistingCitizen({
        facts: facts({ permanentResidence: BA_DINH }),
        personalId: there.personalId,
      });

      // Every well-formed command on a record outside the unit is refused on the record as loaded,
      // before the record's state or the other records it names are judged: the refusal says
      // nothing about the record. (A malformed one is refused before anything is looked up.)
      const commands = RegistryService.methods.filter((m) =>
        m.input.fields.some((f) => f.localName === 'citizen'),
      );
      const wellFormed: Record<string, object> = {
        changeName: { name: { familyName: 'Võ', givenName: 'Mười' }, reason: 'court decision' },
        registerPermanentResidence: { address: BA_DINH, since: TODAY.toString() },
        registerTemporaryResidence: { address: BA_DINH, from: TODAY.toString() },
        endTemporaryResidence: { endedOn: TODAY.toString() },
        recordParents: { fatherCitizenId: randomUUID() },
        changeMaritalStatus: {
          status: MaritalStatus.MARRIED,
          spouseCitizenId: randomUUID(),
          since: '2010-01-01',
        },
        recordDeath: { dateOfDeath: TODAY.toString(), certificateRef: 'KT-1' },
        correctField: {
          field: 'ethnicity',
          value: { case: 'text', value: 'Tày' },
          reason: 'x',
          evidenceRef: 'y',
        },
        recordVerification: { verifiedBy: 'officer-1', outcome: VerificationOutcome.CONFIRMED },
        recodeResidence: { communeCode: '25747' },
      };
      assert.deepEqual(commands.map((c) => c.localName).sort(), Object.keys(wellFormed).sort());
      for (const command of commands) {
        await assert.rejects(
          call(hcm, command.localName, { citizen: here, ...wellFormed[command.localName] }),
          deniedFor('OUTSIDE_JURISDICTION', here.personalId),
          command.name,
        );
      }
      for (const read of ['getCitizen', 'getCitizenHistory', 'getAccessLog']) {
        await assert.rejects(
          call(hcm, read, { ...here, purpose }),
          deniedFor('OUTSIDE_JURISDICTION', here.personalId),
          read,
        );
      }
      // A commune clerk: not even the next ward of the same province.
      await assert.rejects(ninhKieu.getCitizen({ ...here, purpose }), deniedFor('OUTSIDE_JURISDICTION'));
      await assert.rejects(
        ninhKieu.changeName({ citizen: here, name: { familyName: 'Võ', givenName: 'Chín' }, reason: 'x' }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(client.getCitizen({ ...there, purpose }), deniedFor('OUTSIDE_JURISDICTION'));
      await assert.rejects(
        client.recordVerification({
          citizen: there,
          verifiedBy: 'officer-1',
          outcome: VerificationOutcome.CONFIRMED,
        }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );

      // Nothing was appended by the refused commands.
      const untouched = await national.getCitizen({ ...here, purpose });
      assert.equal(untouched.recordVersion, 2n);
      assert.equal(untouched.deceased, false);

      // Within the unit: the ward's clerk, the province's clerk; a national clerk anywhere.
      await caiKhe.changeName({
        citizen: here,
        name: { familyName: 'Võ', middleName: 'Thị', givenName: 'Chín' },
        reason: 'court decision',
      });
      assert.equal((await client.getCitizen({ ...here, purpose })).citizen?.givenName, 'Chín');
      assert.equal((await caiKhe.getCitizenHistory({ ...here, purpose })).entries.length, 3);
      await national.recordVerification({
        citizen: there,
        verifiedBy: 'officer-1',
        outcome: VerificationOutcome.CONFIRMED,
      });
      assert.equal((await national.getCitizen({ ...there, purpose })).recordVersion, 3n);
      // The record as it stands decides: once its resident has moved to the next ward, the ward
      // they left no longer reaches it, and the ward they moved to does.
      const mover = { personalId: '001188000303' };
      await caiKhe.registerExistingCitizen({ facts: facts(), personalId: mover.personalId });
      await caiKhe.registerPermanentResidence({
        citizen: mover,
        address: { provinceCode: '092', communeCode: '31135', detail: '8 Hòa Bình' },
        since: TODAY.toString(),
      });
      await assert.rejects(caiKhe.getCitizen({ ...mover, purpose }), deniedFor('OUTSIDE_JURISDICTION'));
      const moved = await ninhKieu.getCitizen({ ...mover, purpose });
      assert.equal(moved.citizen?.permanentResidence?.communeCode, '31135');
    });

    it('refuses a clerk whose token names no unit in force, whatever they ask', async () => {
      const unitless = await clientAs({ subject: 'clerk:nowhere', kind: 'person', roles: ['clerk'] });
      // Bình Dương (74) was merged into Hồ Chí Minh City in 2025: no longer a unit.
      const merged = await clientAs(identities.clerk('bd-1', '74'));
      for (const clerk of [unitless, merged]) {
        await assert.rejects(clerk.getCitizen({ ...here, purpose }), deniedFor('NO_JURISDICTION'));
        await assert.rejects(
          clerk.getCitizen({ personalId: '001188999999', purpose }),
          deniedFor('NO_JURISDICTION'),
        );
        await assert.rejects(
          clerk.searchCitizens({ criteria: { case: 'byCommune', value: { communeCode: '31120' } }, purpose }),
          deniedFor('NO_JURISDICTION'),
        );
        await assert.rejects(clerk.changeName({ citizen: here }), deniedFor('NO_JURISDICTION'));
        await assert.rejects(
          clerk.registerBirth({ facts: facts({ birthDate: '2026-11-03' }) }),
          deniedFor('NO_JURISDICTION'),
        );
        await assert.rejects(clerk.getQualityReport({ provinceCode: '092' }), deniedFor('NO_JURISDICTION'));
      }
    });

    it('finds only citizens residing within the unit, and refuses a search of a commune outside it', async () => {
      const national = await clientAs(NATIONAL_CLERK);
      const caiKhe = await clientAs(CAI_KHE_CLERK);
      const ninhKieu = await clientAs(NINH_KIEU_CLERK);
      const hcm = await clientAs(HCM_CLERK);
      // Namesakes born the same day: one in Cái Khế, one in Ba Đình.
      const twin = {
        name: { familyName: 'Huỳnh', middleName: '', givenName: 'Như' },
        birthDate: '1975-05-05',
      };
      await client.registerExistingCitizen({ facts: facts(twin), personalId: '001175000401' });
      await national.registerExistingCitizen({
        facts: facts({ ...twin, permanentResidence: BA_DINH }),
        personalId: '001175000402',
      });
      const byName = {
        criteria: { case: 'byName', value: { fullName: 'huynh nhu', birthDate: '1975-05-05' } },
        purpose,
      } as const;
      const found = async (clerk: GrpcClient<typeof RegistryService>, request: object = byName) =>
        ((await call(clerk, 'searchCitizens', request)) as { citizens: { personalId: string }[] }).citizens
          .map((c) => c.personalId)
          .sort();
      const deadline = Date.now() + 20_000;
      while ((await found(national)).length < 2) {
        assert.ok(Date.now() < deadline, 'the projection did not catch up');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(await found(national), ['001175000401', '001175000402']);
      assert.deepEqual(await found(client), ['001175000401']);
      assert.deepEqual(await found(caiKhe), ['001175000401']);
      assert.deepEqual(await found(ninhKieu), []);
      assert.deepEqual(await found(hcm), []);

      const inCommune = (communeCode: string) => ({
        criteria: { case: 'byCommune', value: { communeCode } },
        pageSize: 500,
        purpose,
      });
      assert.ok((await found(national, inCommune('00004'))).includes('001175000402'));
      assert.ok((await found(caiKhe, inCommune('31120'))).includes('001175000401'));
      await assert.rejects(
        call(client, 'searchCitizens', inCommune('00004')),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(
        call(caiKhe, 'searchCitizens', inCommune('31135')),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(
        call(hcm, 'searchCitizens', inCommune('31120')),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
    });

    it('reports quality within the unit to a limited clerk, anywhere to a national clerk or an administrator', async () => {
      const caiKhe = await clientAs(CAI_KHE_CLERK);
      const national = await clientAs(NATIONAL_CLERK);
      const admin = await clientAs(identities.administrator('ops-1'));
      assert.ok((await client.getQualityReport({ provinceCode: '092' })).total!.citizens > 0n);
      assert.equal(
        (await client.getQualityReport({ provinceCode: '092', communeCode: '31120' })).communes.length,
        1,
      );
      const ward = await caiKhe.getQualityReport({ provinceCode: '092', communeCode: '31120' });
      assert.deepEqual(
        ward.communes.map((c) => c.unitCode),
        ['31120'],
      );
      await assert.rejects(
        client.getQualityReport({ provinceCode: '001' }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(
        caiKhe.getQualityReport({ provinceCode: '092' }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      await assert.rejects(
        caiKhe.getQualityReport({ provinceCode: '092', communeCode: '31135' }),
        deniedFor('OUTSIDE_JURISDICTION'),
      );
      assert.ok((await national.getQualityReport({ provinceCode: '001' })).total!.citizens > 0n);
      assert.ok((await admin.getQualityReport({ provinceCode: '001' })).total!.citizens > 0n);
    });

    it('records every refusal in the audit log, the attempts on a record in its access log, and counts them', async () => {
      const national = await clientAs(NATIONAL_CLERK);
      const { entries } = await national.getAccessLog({ ...here, purpose: 'the citizen asked' });
      const refused = entries.filter((e) => e.action.endsWith('.refused'));
      const seen = (actor: string, action: string, stated: string) =>
        refused.some(
          (e) => e.actor === actor && e.action === action && e.purpose === stated && e.fields.length === 0,
        );
      assert.ok(seen('clerk:hcm-1', 'citizen.read.refused', purpose), JSON.stringify(refused));
      assert.ok(seen('clerk:hcm-1', 'citizen.history.refused', purpose));
      assert.ok(seen('clerk:hcm-1', 'citizen.access-log.refused', purpose));
      assert.ok(seen('clerk:hcm-1', 'citizen.command.refused', 'ChangeName'));
      assert.ok(seen('clerk:hcm-1', 'citizen.command.refused', 'RecordDeath'));
      assert.ok(seen('clerk:nk-1', 'citizen.read.refused', purpose));
      // Refusals concerning no record (a registration, a search, a report, no jurisdiction) are in
      // the chain too, without a subject.
      const rows = await running.db.query<{ actor: string; action: string; reason: string }>(
        `SELECT actor, action, detail->>'reason' AS reason FROM audit_entries
          WHERE chain = 'registry' AND subject_id IS NULL AND action LIKE '%.refused'`,
      );
      const unattached = rows.map((r) => `${r.actor} ${r.action} ${r.reason}`);
      for (const expected of [
        'clerk:hcm-1 citizen.register.refused OUTSIDE_JURISDICTION',
        'clerk:hn-001 citizen.search.refused OUTSIDE_JURISDICTION',
        'clerk:hn-001 quality.report.refused OUTSIDE_JURISDICTION',
        'clerk:nowhere citizen.read.refused NO_JURISDICTION',
        'clerk:bd-1 citizen.command.refused NO_JURISDICTION',
      ]) {
        assert.ok(unattached.includes(expected), `${expected} in ${unattached.join('; ')}`);
      }
      // And each was counted as the guard counts its own (metric, log line, per-caller limit).
      const points = pointsOf(await telemetry.collectMetrics(), METRICS.authRefusals.name);
      const counted = (reason: string) =>
        points
          .filter((p) => p.attributes['cancuoc.auth.reason'] === reason)
          .reduce((sum, p) => sum + Number(p.value), 0);
      assert.ok(counted('OUTSIDE_JURISDICTION') >= 20, String(counted('OUTSIDE_JURISDICTION')));
      assert.ok(counted('NO_JURISDICTION') >= 12);
      assert.ok(counted('NOT_ALLOWED') >= 100);
    });
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
