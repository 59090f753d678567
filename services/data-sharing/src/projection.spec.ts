/**
 * The internal citizen projection and the agency views made from it, end to end on PostgreSQL and
 * the Kafka-protocol broker: registry, card and enrollment events in; agencies' topics out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { CalendarDate } from '@cancuoc/identity';
import { KafkaTransport } from '@cancuoc/messaging';
import { CardStatus, partner, RevocationReason, REGISTRY_CITIZEN_TOPIC } from '@cancuoc/proto';
import { DELIVERY, F, startHarness, TODAY, type Harness } from './test-support/harness.js';
import { eventually, PartnerReader } from './test-support/partner-reader.js';
import { citizenInit } from './test-support/upstream.js';

const HA_NOI = { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' };
const HCM = { provinceCode: '079', communeCode: '26734', detail: '1 Lê Lợi' };
const citizenOf = (r: { value: Uint8Array | null } | undefined) =>
  r?.value ? fromBinary(partner.PartnerCitizenSchema, r.value) : undefined;
const changesOf = (reader: PartnerReader, citizenId: string) =>
  reader
    .changeRecords()
    .filter((r) => r.key === citizenId)
    .map((r) => fromBinary(partner.PartnerCitizenChangedSchema, r.value!));

describe('citizen projection and agency views (PostgreSQL, Kafka-protocol broker)', () => {
  let h: Harness;
  let today = TODAY;
  let alpha: PartnerReader;
  let youth: PartnerReader;
  let northern: PartnerReader;
  const an = randomUUID();
  before(async () => {
    h = await startHarness({ agencies: ['alpha', 'youth', 'northern'], today: () => today });
    alpha = await PartnerReader.start(h.broker.bootstrapServers, 'alpha');
    youth = await PartnerReader.start(h.broker.bootstrapServers, 'youth');
    northern = await PartnerReader.start(h.broker.bootstrapServers, 'northern');
    await h.upstream.publish(h.upstream.citizenRecord(an, citizenInit({ givenName: 'An' })));
    await h.projected(an, 1);
    await h.subscribe({
      agency: 'alpha',
      agencyName: 'Alpha',
      purpose: 'alpha-purpose',
      purposeDescription: 'testing',
      legalBasis: 'Điều 1',
      terms: {
        fields: [F.NAME, F.CARD],
        scope: { provinceCodes: ['001'], aliveOnly: true },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
  });
  after(async () => {
    await Promise.all([alpha, youth, northern].map((r) => r?.stop()));
    await h?.close();
  });

  it('back-fills a new subscription, then follows changes; an older record version changes nothing', async () => {
    await eventually(
      'An on alpha’s topic',
      () => citizenOf(alpha.latest().get(an))?.name?.givenName === 'An',
    );
    const record = h.upstream.citizenRecord(an, citizenInit({ givenName: 'Ba' }), { version: 3 });
    await h.upstream.publish(record, record);
    await h.upstream.publish(h.upstream.citizenRecord(an, citizenInit({ givenName: 'Hai' }), { version: 2 }));
    await h.projected(an, 3);
    await h.settled();
    await eventually('Ba on the topic', () => citizenOf(alpha.latest().get(an))?.name?.givenName === 'Ba');
    assert.ok(!alpha.records.some((r) => citizenOf(r)?.name?.givenName === 'Hai'), 'version 2 came too late');
    const [received] = await h.running.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM es_events WHERE stream_id = $1 AND event_type = 'RegistryRecordReceived'`,
      [`citizen-${an}`],
    );
    assert.equal(received!.n, '3', 'the duplicate delivery of version 3 was recorded once');
    // The change topic is read on its own: its record may come after the citizen topic's.
    await eventually('the change on alpha’s change topic', () => changesOf(alpha, an).length >= 2);
    const [change] = changesOf(alpha, an).slice(-1);
    assert.equal(change?.kind, partner.PartnerChangeKind.UPDATED);
    assert.deepEqual(change?.changedFields, [F.NAME]);
  });

  it('shows the current card from card events, and its revocation', async () => {
    await h.upstream.publish(
      h.upstream.card(an, {
        cardId: 'card-in-production',
        version: 2,
        documentNumber: 'NOT-YET',
        status: CardStatus.ENCODING,
        issueDate: '',
      }),
      h.upstream.card(an, {
        cardId: 'card-1',
        version: 5,
        documentNumber: '001090777',
        status: CardStatus.ACTIVATED,
      }),
    );
    await eventually(
      'the card on the topic',
      () => citizenOf(alpha.latest().get(an))?.card?.current?.documentNumber === '001090777',
    );
    assert.equal(citizenOf(alpha.latest().get(an))?.card?.current?.status, partner.CardStatus.ACTIVE);
    await h.upstream.publish(
      h.upstream.card(an, {
        cardId: 'card-1',
        version: 6,
        documentNumber: '001090777',
        status: CardStatus.REVOKED,
      }),
    );
    await eventually(
      'the revocation',
      () => citizenOf(alpha.latest().get(an))?.card?.current?.status === partner.CardStatus.REVOKED,
    );
    assert.equal(
      citizenOf(alpha.latest().get(an))?.card?.current?.revocationReason,
      RevocationReason.UNSPECIFIED,
    );
  });

  it('tombstones a citizen who moves out of the scope or dies, saying only that they left', async () => {
    const mover = randomUUID();
    const dying = randomUUID();
    await h.upstream.publish(
      h.upstream.citizenRecord(
        mover,
        citizenInit({ personalId: '001190000101', permanentResidence: HA_NOI }),
      ),
      h.upstream.citizenRecord(
        dying,
        citizenInit({ personalId: '001190000102', permanentResidence: HA_NOI }),
      ),
    );
    await eventually('both on the topic', () => alpha.latest().has(mover) && alpha.latest().has(dying));
    await h.upstream.publish(
      h.upstream.citizenRecord(mover, citizenInit({ personalId: '001190000101', permanentResidence: HCM })),
      h.upstream.citizenRecord(
        dying,
        citizenInit({ personalId: '001190000102', permanentResidence: HA_NOI, deathDate: '2026-11-20' }),
      ),
    );
    await eventually(
      'both tombstoned',
      () => alpha.latest().get(mover)?.value === null && alpha.latest().get(dying)?.value === null,
    );
    for (const id of [mover, dying]) {
      const left = changesOf(alpha, id).at(-1)!;
      assert.equal(left.kind, partner.PartnerChangeKind.LEFT_SCOPE);
      assert.deepEqual(left.changedFields, []);
      assert.equal(
        left.citizen,
        undefined,
        'no reason, no data: a death or a move may not be the agency’s to know',
      );
    }
    await h.upstream.publish(
      h.upstream.citizenRecord(
        mover,
        citizenInit({ personalId: '001190000101', permanentResidence: HA_NOI }),
      ),
    );
    await eventually(
      'back in scope',
      () => changesOf(alpha, mover).at(-1)?.kind === partner.PartnerChangeKind.ENTERED_SCOPE,
    );
  });

  it('resolves a scope on a province merged in 2025 through today’s map', async () => {
    const bacGiang = randomUUID();
    const bacNinh = randomUUID();
    const thaiNguyen = randomUUID();
    const residence = (provinceCode: string) => ({ provinceCode, communeCode: '07000', detail: '' });
    await h.upstream.publish(
      h.upstream.citizenRecord(
        bacGiang,
        citizenInit({ personalId: '024190000201', permanentResidence: residence('024') }),
      ),
      h.upstream.citizenRecord(
        bacNinh,
        citizenInit({ personalId: '027190000202', permanentResidence: residence('027') }),
      ),
      h.upstream.citizenRecord(
        thaiNguyen,
        citizenInit({ personalId: '019190000203', permanentResidence: residence('019') }),
      ),
    );
    for (const id of [bacGiang, bacNinh, thaiNguyen]) await h.projected(id, 1);
    const subscription = await h.subscribe({
      agency: 'northern',
      agencyName: 'Sở Y tế Bắc Ninh',
      purpose: 'provincial-health',
      purposeDescription: 'testing',
      legalBasis: 'Điều 1',
      terms: { fields: [F.PERMANENT_RESIDENCE], scope: { provinceCodes: ['027'] }, delivery: DELIVERY.KAFKA },
    });
    assert.deepEqual(subscription.resolvedProvinceCodes, ['024']);
    await eventually(
      'both halves of the new Bắc Ninh',
      () => northern.latest().has(bacGiang) && northern.latest().has(bacNinh),
    );
    assert.equal(northern.latest().has(thaiNguyen), false);
    assert.equal(citizenOf(northern.latest().get(bacNinh))?.permanentResidence?.currentProvinceCode, '024');
    assert.equal(citizenOf(northern.latest().get(bacNinh))?.permanentResidence?.address?.provinceCode, '027');
  });

  it('lets a citizen into an age range on the birthday, with no event from the register', async () => {
    const teen = randomUUID();
    await h.upstream.publish(
      h.upstream.citizenRecord(teen, citizenInit({ personalId: '001208000301', birthDate: '2008-11-27' })),
    );
    await h.projected(teen, 1);
    await h.subscribe({
      agency: 'youth',
      agencyName: 'Youth',
      purpose: 'military-service-registration',
      purposeDescription: 'testing',
      legalBasis: 'Luật Nghĩa vụ quân sự',
      terms: { fields: [F.BIRTH_DATE], scope: { minAge: 18, maxAge: 25 }, delivery: DELIVERY.KAFKA },
    });
    assert.equal(youth.latest().has(teen), false, '17 today');
    today = CalendarDate.parse('2026-11-27');
    await eventually('18 today', () => youth.latest().has(teen), 15_000);
    assert.equal(citizenOf(youth.latest().get(teen))?.birthDate, '2008-11-27');
  });

  it('dead-letters a record no retry can use, and moves on', async () => {
    const broken = randomUUID();
    const after = randomUUID();
    await h.upstream.publish(
      h.upstream.citizenRecord(broken, citizenInit({ personalId: '001190000401', birthDate: '1990-02-31' })),
      h.upstream.citizenRecord(after, citizenInit({ personalId: '001190000402' })),
    );
    await h.projected(after, 1);
    const dlq = new KafkaTransport({
      brokers: h.broker.bootstrapServers,
      clientId: 'dlq-check',
      idempotent: false,
    });
    try {
      const offsets = await dlq.endOffsets(`${REGISTRY_CITIZEN_TOPIC.name}.dlq`);
      assert.equal(
        [...offsets.values()].reduce((a, b) => a + b, 0n),
        1n,
      );
    } finally {
      await dlq.close();
    }
    assert.ok(h.logs.some((l) => l.includes('inbound.record_failed')));
    assert.ok(!h.logs.some((l) => l.includes('1990-02-31') || l.includes('001190000401')));
  });

  it('rebuilds every projection from the recorded events: same citizens, same views, nothing sent again', async () => {
    await h.settled();
    const snapshot = () =>
      h.running.db.query<{ citizen_id: string; state: string }>(
        'SELECT citizen_id::text AS citizen_id, state::text AS state FROM ds_citizens ORDER BY citizen_id',
      );
    const before = await snapshot();
    const position = (await h.running.operations.status()).position;
    for (const [reader, agency] of [
      [alpha, 'alpha'],
      [youth, 'youth'],
      [northern, 'northern'],
    ] as const)
      await h.received(reader, agency);
    const published = alpha.records.length + youth.records.length + northern.records.length;
    await h.running.operations.rebuild('all');
    assert.ok((await h.running.operations.status()).position < position, 'the position restarts');
    await eventually('the rebuild to finish', async () => !(await h.running.operations.status()).rebuilding);
    await h.settled();
    assert.deepEqual(await snapshot(), before);
    assert.equal((await h.running.operations.status()).position, position);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(alpha.records.length + youth.records.length + northern.records.length, published);

    // A view that lost its rows is rebuilt from the projection, and the agency is sent them again.
    await h.running.db.query(`DELETE FROM ds_agency_views WHERE agency = 'alpha'`);
    const again = alpha.records.length;
    assert.equal(await h.running.operations.rebuild('views'), 3);
    await h.settled();
    await eventually('alpha’s citizens re-sent', () => alpha.records.length > again);
    assert.equal(citizenOf(alpha.latest().get(an))?.name?.givenName, 'Ba');
  });
});
