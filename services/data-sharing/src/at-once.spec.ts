/**
 * What "at once" means, tested at the moments that matter. When RevokeSubscription (or a narrowing
 * ChangeSubscription, or SuspendSubscription) returns:
 * - every query that starts afterwards is refused (or answered under the new terms);
 * - no record built under the old terms can still reach the agency's topics: a batch the publisher
 *   read before the change committed has been acknowledged (the call waited for it), and anything
 *   queued under the old terms is never sent; what follows a revocation is tombstones only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { partner } from '@cancuoc/proto';
import { holdGate, publisherHoldsGate } from './test-support/gate.js';
import { DELIVERY, F, startHarness, type Harness } from './test-support/harness.js';
import { found, markedCitizen, publishMarked } from './test-support/marked-citizens.js';
import { eventually, PartnerReader } from './test-support/partner-reader.js';

const settledWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('revoking, narrowing and suspending take effect at once', () => {
  let h: Harness;
  const citizens = [0, 1, 2].map((i) => markedCitizen(20 + i, { provinceCode: '001' }));
  before(async () => {
    h = await startHarness({ agencies: ['gamma', 'delta', 'omega'] });
    for (const c of citizens) await publishMarked(h.upstream, c);
    for (const c of citizens) await h.projected(c.citizenId, 1);
  });
  after(() => h?.close());

  const subscribe = (agency: string, fields: partner.CitizenField[]) =>
    h.subscribe({
      agency,
      agencyName: agency,
      purpose: `${agency}-purpose`,
      purposeDescription: 'testing',
      legalBasis: 'Điều 1',
      terms: { fields, scope: { provinceCodes: ['001'] }, delivery: DELIVERY.KAFKA_AND_GRPC },
    });

  it('a revocation returns only once the batch in flight is acknowledged; then only tombstones follow', async () => {
    const reader = await PartnerReader.start(h.broker.bootstrapServers, 'gamma');
    try {
      const { subscriptionId } = await subscribe('gamma', [F.NAME, F.ETHNICITY].slice(0, 1));
      await eventually('gamma’s back-fill', () => reader.latest().size === citizens.length);
      const c = citizens[0]!;
      // The publisher takes a change and is stuck publishing it: the broker stops answering.
      const gate = await holdGate(h.databaseUrl, 'gamma');
      await h.upstream.publish(
        h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVINFLIGHTQZ' }),
      );
      await h.projected(c.citizenId, 2);
      await h.broker.pause();
      await gate.release();
      await eventually('the publisher to hold gamma’s gate, mid-publish', () =>
        publisherHoldsGate(h.databaseUrl, 'gamma'),
      );
      const revocation = h.approver.revokeSubscription({ subscriptionId, reason: 'contract ended' });
      await eventually('the revocation to commit', async () => {
        const [row] = await h.running.db.query<{ status: string }>(
          'SELECT status FROM ds_subscriptions WHERE subscription_id = $1',
          [subscriptionId],
        );
        return row?.status === 'revoked';
      });
      assert.equal(
        await readErrorDetails(
          await (
            await h.agency('gamma')
          )
            .getCitizen({
              purpose: 'gamma-purpose',
              citizen: { key: { case: 'citizenId', value: c.citizenId } },
            })
            .catch((e: unknown) => e),
        )?.code,
        status.PERMISSION_DENIED,
        'queries are refused from the commit on',
      );
      assert.equal(await settledWithin(revocation, 1_500), false, 'the call waits for the batch in flight');
      await h.broker.resume();
      await revocation;
      const revokedAt = Date.now();
      await h.settled();
      await eventually('tombstones for every citizen', () =>
        citizens.every((x) => reader.latest().get(x.citizenId)?.value === null),
      );
      const inFlight = reader.citizenRecords().find((r) => r.bytes.includes('GIVINFLIGHTQZ'));
      assert.ok(
        inFlight && inFlight.timestamp < revokedAt,
        'the batch in flight landed before the call returned',
      );
      for (const r of reader.records.filter((x) => x.timestamp >= revokedAt)) {
        if (r.topic.endsWith('.citizen.v1')) assert.equal(r.value, null);
        else
          assert.equal(
            fromBinary(partner.PartnerCitizenChangedSchema, r.value!).kind,
            partner.PartnerChangeKind.LEFT_SCOPE,
          );
      }
    } finally {
      await reader.stop();
    }
  });

  it('never sends what was queued under the old terms after a narrowing or a revocation', async () => {
    const reader = await PartnerReader.start(h.broker.bootstrapServers, 'delta');
    try {
      const { subscriptionId } = await subscribe('delta', [F.NAME, F.CARD]);
      await eventually('delta’s back-fill', () => reader.latest().size === citizens.length);
      const c = citizens[1]!;
      // Changes queued for delta while delivery is held: a new card and a new name.
      const gate = await holdGate(h.databaseUrl, 'delta');
      await h.upstream.publish(
        h.upstream.card(c.citizenId, {
          cardId: 'delta-new-card',
          version: 1,
          documentNumber: 'CARDQUEUEDQZ',
          issueDate: '2026-11-20',
        }),
        h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVQUEUEDQZ' }),
      );
      await h.projected(c.citizenId, 2);
      await eventually('the change queued for delta', async () => {
        const [row] = await h.running.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ds_delivery_queue WHERE agency = 'delta'`,
        );
        return row?.n !== '0';
      });
      const narrowing = h.requester.changeSubscription({
        subscriptionId,
        reason: 'the card is no longer needed',
        terms: { fields: [F.NAME], scope: { provinceCodes: ['001'] }, delivery: DELIVERY.KAFKA_AND_GRPC },
      });
      await eventually('the narrowing to commit', async () => {
        const [row] = await h.running.db.query<{ n: number }>(
          `SELECT jsonb_array_length(subscription->'terms'->'fields') AS n FROM ds_subscriptions WHERE subscription_id = $1`,
          [subscriptionId],
        );
        return row?.n === 1;
      });
      const committedAt = Date.now();
      await gate.release();
      await narrowing;
      await eventually('the new name, without the card', () =>
        reader.citizenRecords().some((r) => r.bytes.includes('GIVQUEUEDQZ')),
      );
      await h.settled();
      assert.deepEqual(found(Buffer.concat(reader.records.map((r) => r.bytes)), ['CARDQUEUEDQZ']), []);
      for (const r of reader.records.filter((x) => x.timestamp >= committedAt && x.value))
        for (const m of c.markers.card) assert.ok(!r.bytes.includes(m), 'no card after the narrowing');

      const held = await holdGate(h.databaseUrl, 'delta');
      await h.upstream.publish(
        h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVREVOKEDQZ' }),
      );
      await h.projected(c.citizenId, 3);
      const revocation = h.approver.revokeSubscription({ subscriptionId, reason: 'ended' });
      await eventually('the revocation to commit', async () => {
        const [row] = await h.running.db.query<{ status: string }>(
          'SELECT status FROM ds_subscriptions WHERE subscription_id = $1',
          [subscriptionId],
        );
        return row?.status === 'revoked';
      });
      await held.release();
      await revocation;
      await h.settled();
      assert.deepEqual(found(Buffer.concat(reader.records.map((r) => r.bytes)), ['GIVREVOKEDQZ']), []);
      await eventually('tombstones', () =>
        citizens.every((x) => reader.latest().get(x.citizenId)?.value === null),
      );
    } finally {
      await reader.stop();
    }
  });

  it('a suspension stops delivery and queries until resumed; resuming sends only what changed', async () => {
    const reader = await PartnerReader.start(h.broker.bootstrapServers, 'omega');
    try {
      const { subscriptionId } = await subscribe('omega', [F.NAME]);
      await eventually('omega’s back-fill', () => reader.latest().size === citizens.length);
      await h.approver.suspendSubscription({ subscriptionId, reason: 'security incident at the agency' });
      const suspendedAt = Date.now();
      const omega = await h.agency('omega');
      const refused = await omega
        .getCitizen({
          purpose: 'omega-purpose',
          citizen: { key: { case: 'citizenId', value: citizens[2]!.citizenId } },
        })
        .catch((e: unknown) => readErrorDetails(e));
      assert.equal((refused as { code: number }).code, status.PERMISSION_DENIED);
      const c = citizens[2]!;
      await h.upstream.publish(
        h.upstream.citizenRecord(c.citizenId, { ...c.init, givenName: 'GIVSUSPENDEDQZ' }),
      );
      await h.projected(c.citizenId, 2);
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(
        reader.records.filter((r) => r.timestamp >= suspendedAt).length,
        0,
        'nothing while suspended',
      );
      const before = reader.records.length;
      await h.requester.resumeSubscription({ subscriptionId, reason: 'incident closed' });
      await eventually('the change made while suspended', () =>
        reader.citizenRecords().some((r) => r.bytes.includes('GIVSUSPENDEDQZ')),
      );
      await h.settled();
      assert.equal(
        reader.records.length - before,
        2,
        'one record and one change, for the one citizen that changed',
      );
      const reply = await omega.getCitizen({
        purpose: 'omega-purpose',
        citizen: { key: { case: 'citizenId', value: c.citizenId } },
      });
      assert.equal(reply.citizen?.name?.givenName, 'GIVSUSPENDEDQZ');
    } finally {
      await reader.stop();
    }
  });
});
