/**
 * Partner topics are provisioned by the deploy (a Strimzi KafkaTopic per agency, from the topic
 * catalogue), never by data sharing. What the test broker does with an unknown topic, found out,
 * and how data sharing keeps from depending on it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { partnerTopicsOf } from '@cancuoc/proto';
import { Kafka, logLevel } from 'kafkajs';
import { DELIVERY, F, startHarness, type Harness } from './test-support/harness.js';
import { eventually } from './test-support/partner-reader.js';
import { citizenInit } from './test-support/upstream.js';

describe('partner topic provisioning (Kafka-protocol test broker)', () => {
  let h: Harness;
  let kafka: Kafka;
  before(async () => {
    h = await startHarness({ agencies: ['ready'] });
    kafka = new Kafka({ clientId: 'probe', brokers: h.broker.bootstrapServers, logLevel: logLevel.NOTHING });
  });
  after(() => h?.close());

  it('the test broker creates an unknown topic, with 4 partitions, when a producer writes to it', async () => {
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      assert.equal((await admin.listTopics()).includes('probe.unknown.topic.v1'), false);
      await producer.send({
        topic: 'probe.unknown.topic.v1',
        acks: -1,
        messages: [{ key: 'k', value: 'v' }],
      });
      const { topics } = await admin.fetchTopicMetadata({ topics: ['probe.unknown.topic.v1'] });
      assert.equal(topics[0]?.partitions.length, 4, 'a real cluster with auto-creation off refuses instead');
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });

  it('delivers nothing to an agency whose topics are missing or misshapen, and never makes them', async () => {
    const citizen = randomUUID();
    await h.upstream.publish(h.upstream.citizenRecord(citizen, citizenInit()));
    await h.projected(citizen, 1);
    const { subscription } = await h.requester.requestSubscription({
      agency: 'unprovisioned',
      agencyName: 'Not onboarded yet',
      purpose: 'waiting-purpose',
      purposeDescription: 'testing',
      legalBasis: 'Điều 1',
      terms: { fields: [F.NAME], scope: {}, delivery: DELIVERY.KAFKA_AND_GRPC },
    });
    await h.approver.approveSubscription({ subscriptionId: subscription!.subscriptionId });
    const state = await eventually('the view to be queued', async () => {
      const s = (await h.approver.getSubscription({ subscriptionId: subscription!.subscriptionId }))
        .subscription!;
      return s.deliveryState?.backfillDone && s.deliveryState.queued > 0n && s.deliveryState;
    });
    assert.equal(state.topicsReady, false);
    await new Promise((r) => setTimeout(r, 1_500));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      for (const t of partnerTopicsOf('unprovisioned'))
        assert.equal(topics.includes(t.name), false, `${t.name} was not made`);
    } finally {
      await admin.disconnect();
    }
    const reply = await (
      await h.agency('unprovisioned')
    ).getCitizen({ purpose: 'waiting-purpose', citizen: { key: { case: 'citizenId', value: citizen } } });
    assert.equal(reply.citizen?.name?.givenName, 'An', 'queries do not wait for the topics');

    // A topic made by accident (here: by the broker, on a stray write) has the wrong shape: still not ready.
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (const t of partnerTopicsOf('unprovisioned'))
        await producer.send({ topic: t.name, messages: [{ key: 'x', value: null }] });
    } finally {
      await producer.disconnect();
    }
    await new Promise((r) => setTimeout(r, 6_000));
    const after = (await h.approver.getSubscription({ subscriptionId: subscription!.subscriptionId }))
      .subscription!;
    assert.equal(after.deliveryState?.topicsReady, false, '4 partitions, not the catalogue’s 6');
    assert.ok((after.deliveryState?.queued ?? 0n) > 0n);
  });
});
