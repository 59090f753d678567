/**
 * Data sharing end to end on PostgreSQL, Redis and the Kafka-protocol broker: registry and card
 * events in, an agency's topics and query answers out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { datasharing, partner } from '@cancuoc/proto';
import { DELIVERY, F, startHarness, type Harness } from './test-support/harness.js';
import { eventually, PartnerReader } from './test-support/partner-reader.js';
import { citizenInit } from './test-support/upstream.js';

describe('data sharing pipeline (PostgreSQL, Redis, Kafka-protocol broker)', () => {
  let h: Harness;
  let reader: PartnerReader;
  const an = randomUUID();
  const binh = randomUUID();
  before(async () => {
    h = await startHarness({ agencies: ['alpha'] });
    reader = await PartnerReader.start(h.broker.bootstrapServers, 'alpha');
  });
  after(async () => {
    await reader?.stop();
    await h?.close();
  });

  it('back-fills a new subscription and follows changes onto the agency topic', async () => {
    await h.upstream.publish(
      h.upstream.citizenRecord(an, citizenInit({ personalId: '001190000011', givenName: 'An' })),
      h.upstream.citizenRecord(
        binh,
        citizenInit({
          personalId: '001190000012',
          givenName: 'Bình',
          permanentResidence: { provinceCode: '079', communeCode: '26734', detail: 'x' },
        }),
      ),
    );
    await h.projected(an, 1);
    await h.projected(binh, 1);
    const subscription = await h.subscribe({
      agency: 'alpha',
      agencyName: 'Agency Alpha',
      purpose: 'alpha-purpose',
      purposeDescription: 'testing',
      legalBasis: 'Điều 1',
      terms: {
        fields: [F.NAME, F.BIRTH_DATE],
        scope: { provinceCodes: ['001'], aliveOnly: true },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
    assert.equal(subscription.status, datasharing.SubscriptionStatus.APPROVED);
    const first = await eventually('An on the topic', () => reader.latest().get(an));
    const citizen = fromBinary(partner.PartnerCitizenSchema, first.value!);
    assert.equal(citizen.name?.givenName, 'An');
    assert.equal(citizen.personalId, undefined);
    assert.equal(reader.latest().has(binh), false, 'Bình lives outside the scope');

    await h.upstream.publish(
      h.upstream.citizenRecord(an, citizenInit({ personalId: '001190000011', givenName: 'Ân' })),
    );
    await eventually('the change on the topic', () => {
      const r = reader.latest().get(an);
      return r && fromBinary(partner.PartnerCitizenSchema, r.value!).name?.givenName === 'Ân';
    });

    const alpha = h.agency('alpha');
    const reply = await alpha.getCitizen({
      purpose: 'alpha-purpose',
      citizen: { key: { case: 'citizenId', value: an } },
    });
    assert.equal(reply.citizen?.name?.givenName, 'Ân');
    assert.ok(reply.position > 0n);
    await assert.rejects(
      alpha.getCitizen({ purpose: 'alpha-purpose', citizen: { key: { case: 'citizenId', value: binh } } }),
      (e) => readErrorDetails(e)?.code === status.NOT_FOUND,
    );
  });
});
