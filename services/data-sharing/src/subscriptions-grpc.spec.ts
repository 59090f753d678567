/**
 * The administrators' SubscriptionService through a real gRPC client, on PostgreSQL and Redis with
 * the in-process transport: refusals, field violations, four eyes, widening waits for approval,
 * one live subscription per agency, expected versions and idempotency keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { identities } from '@cancuoc/auth';
import { Health, HealthCheckResponse_ServingStatus, readErrorDetails, status } from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import { DELIVERY, F, startHarness, type Harness } from './test-support/harness.js';

const code = (e: unknown) => readErrorDetails(e)?.code;
type RequestInit = MessageInitShape<typeof datasharing.RequestSubscriptionRequestSchema>;
const request = (agency: string, overrides: Record<string, unknown> = {}): RequestInit =>
  ({
    agency,
    agencyName: `Agency ${agency}`,
    purpose: `${agency}-purpose`,
    purposeDescription: 'testing',
    legalBasis: 'Điều 1',
    terms: {
      fields: [F.NAME, F.BIRTH_DATE],
      scope: { provinceCodes: ['001'], aliveOnly: true },
      delivery: DELIVERY.KAFKA_AND_GRPC,
    },
    ...overrides,
  }) as RequestInit;

describe('SubscriptionService over gRPC (PostgreSQL, Redis, in-process transport)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ agencies: [], kafka: false });
  });
  after(() => h?.close());

  it('serves health without a token, and refuses callers without one or outside the policy', async () => {
    // Every refusal, caller by caller and RPC by RPC, is in auth-grpc.spec.ts.
    const health = await h.client(Health, identities.administrator('an'), { authorization: null });
    const anonymous = await h.client(datasharing.SubscriptionService, identities.administrator('an'), {
      authorization: null,
    });
    const asAgency = await h.client(datasharing.SubscriptionService, identities.agency('alpha'));
    const adminAsAgency = await h.client(datasharing.AgencyQueryService, identities.administrator('an'));
    const alpha = await h.agency('alpha');
    const reply = await health.check({ service: datasharing.AgencyQueryService.typeName });
    assert.equal(reply.status, HealthCheckResponse_ServingStatus.SERVING);
    await assert.rejects(anonymous.listSubscriptions({}), (e) => code(e) === status.UNAUTHENTICATED);
    await assert.rejects(asAgency.listSubscriptions({}), (e) => code(e) === status.PERMISSION_DENIED);
    await assert.rejects(
      adminAsAgency.getCitizen({
        purpose: 'x',
        citizen: { key: { case: 'citizenId', value: '0193a000-0000-7000-8000-000000000001' } },
      }),
      (e) => code(e) === status.PERMISSION_DENIED,
    );
    await assert.rejects(
      alpha.getCitizen({
        purpose: 'pensions',
        citizen: { key: { case: 'citizenId', value: '0193a000-0000-7000-8000-000000000001' } },
      }),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'SUBSCRIPTION_NOT_ACTIVE',
      'a valid agency without a subscription',
    );
  });

  it('lists the catalogue with its sensitive fields', async () => {
    const { fields } = await h.requester.listCitizenFields({});
    assert.equal(fields.length, 18);
    assert.deepEqual(
      fields.filter((f) => f.sensitive).map((f) => f.field),
      [F.ETHNICITY, F.RELIGION, F.BIOMETRIC_REFERENCES],
    );
  });

  it('answers bad requests with INVALID_ARGUMENT and every field violation', async () => {
    await assert.rejects(
      h.requester.requestSubscription(
        request('Bad Agency', {
          purpose: '',
          terms: {
            fields: [F.NAME, F.RELIGION, 99 as datasharing.SubscriptionTerms['fields'][number]],
            scope: { provinceCodes: ['999'], minAge: 40, maxAge: 30 },
            delivery: DELIVERY.UNSPECIFIED,
          },
        }),
      ),
      (e) => {
        const details = readErrorDetails(e);
        assert.equal(details?.code, status.INVALID_ARGUMENT);
        assert.deepEqual(details?.badRequest?.fieldViolations.map((v) => v.field).sort(), [
          'agency',
          'purpose',
          'terms.delivery',
          'terms.fields[2]',
          'terms.scope.max_age',
          'terms.scope.province_codes[0]',
          'terms.sensitive_field_bases',
        ]);
        return true;
      },
    );
    await assert.rejects(
      h.approver.approveSubscription({ subscriptionId: 'not-an-id' }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
    await assert.rejects(
      h.approver.approveSubscription({ subscriptionId: '0193a000-0000-7000-8000-000000000009' }),
      (e) => code(e) === status.NOT_FOUND,
    );
  });

  it('needs a second administrator to approve, and records who requested and who approved', async () => {
    const { subscription } = await h.requester.requestSubscription(request('bhyt'));
    assert.equal(subscription?.status, datasharing.SubscriptionStatus.REQUESTED);
    assert.equal(subscription?.requestedBy, 'admin:an');
    assert.deepEqual(subscription?.resolvedProvinceCodes, ['001']);
    const id = subscription!.subscriptionId;
    await assert.rejects(h.requester.approveSubscription({ subscriptionId: id }), (e) => {
      const d = readErrorDetails(e);
      return (
        d?.code === status.FAILED_PRECONDITION &&
        d.preconditionFailure?.violations[0]?.type === 'SAME_APPROVER'
      );
    });
    const bhyt = await h.agency('bhyt');
    await assert.rejects(
      bhyt.getCitizen({
        purpose: 'bhyt-purpose',
        citizen: { key: { case: 'citizenId', value: '0193a000-0000-7000-8000-000000000001' } },
      }),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'SUBSCRIPTION_NOT_ACTIVE',
      'nothing before approval',
    );
    const approved = await h.approver.approveSubscription({ subscriptionId: id });
    assert.equal(approved.subscription?.status, datasharing.SubscriptionStatus.APPROVED);
    assert.equal(approved.subscription?.approvedBy, 'admin:binh');
    assert.equal(
      approved.subscription?.deliveryState?.topicsReady,
      true,
      'embedded: the in-process log makes the topics',
    );
    await assert.rejects(
      h.requester.requestSubscription(request('bhyt')),
      (e) => code(e) === status.ALREADY_EXISTS,
    );
  });

  it('applies a narrowing at once and holds a widening for approval by someone else', async () => {
    const { subscription } = await h.requester.requestSubscription(request('tax'));
    const id = subscription!.subscriptionId;
    await h.approver.approveSubscription({ subscriptionId: id });
    const widened = await h.requester.changeSubscription({
      subscriptionId: id,
      reason: 'new duty',
      terms: {
        fields: [F.NAME, F.BIRTH_DATE, F.RELIGION],
        sensitiveFieldBases: [{ field: F.RELIGION, legalBasis: 'Luật Tín ngưỡng, tôn giáo 2016, Điều 7' }],
        scope: { provinceCodes: ['001'], aliveOnly: true },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
    assert.equal(widened.needsApproval, true);
    assert.deepEqual(widened.subscription?.terms?.fields, [F.NAME, F.BIRTH_DATE], 'the terms in force stay');
    assert.equal(widened.subscription?.pendingChange?.proposedBy, 'admin:an');
    const approved = await h.approver.approveSubscription({ subscriptionId: id });
    assert.deepEqual(approved.subscription?.terms?.fields, [F.NAME, F.BIRTH_DATE, F.RELIGION]);
    assert.equal(approved.subscription?.pendingChange, undefined);
    const narrowed = await h.requester.changeSubscription({
      subscriptionId: id,
      reason: 'minimisation',
      terms: {
        fields: [F.NAME],
        scope: { provinceCodes: ['001'], aliveOnly: true },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
    assert.equal(narrowed.needsApproval, false);
    assert.deepEqual(narrowed.subscription?.terms?.fields, [F.NAME]);
  });

  it('refuses a stale expected version, and replays a retry with the same idempotency key', async () => {
    const { subscription } = await h.requester.requestSubscription(request('police'));
    const id = subscription!.subscriptionId;
    const key = `approve-${id}`;
    await assert.rejects(
      h.approver.approveSubscription({ subscriptionId: id, expectedVersion: 7n }),
      (e) => code(e) === status.ABORTED,
    );
    const first = await h.approver.approveSubscription(
      { subscriptionId: id, expectedVersion: 1n },
      { idempotencyKey: key },
    );
    const again = await h.approver.approveSubscription(
      { subscriptionId: id, expectedVersion: 1n },
      { idempotencyKey: key },
    );
    assert.equal(again.subscription?.version, first.subscription?.version);
    const [events] = await h.running.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM es_events WHERE stream_id = $1`,
      [`subscription-${id}`],
    );
    assert.equal(events!.n, '2', 'requested, approved: the retry appended nothing');
    const suspended = await h.approver.suspendSubscription({ subscriptionId: id, reason: 'audit' });
    assert.equal(suspended.subscription?.status, datasharing.SubscriptionStatus.SUSPENDED);
    assert.equal(suspended.subscription?.statusChangedBy, 'admin:binh');
    const revoked = await h.requester.revokeSubscription({ subscriptionId: id, reason: 'ended' });
    assert.equal(revoked.subscription?.status, datasharing.SubscriptionStatus.REVOKED);
    const again2 = await h.requester.revokeSubscription({ subscriptionId: id, reason: 'ended' });
    assert.equal(
      again2.subscription?.version,
      revoked.subscription?.version,
      'revoking twice changes nothing',
    );
    const { subscription: renewed } = await h.requester.requestSubscription(request('police'));
    assert.notEqual(renewed?.subscriptionId, id, 'a revoked agency may ask anew');
    const { subscriptions } = await h.approver.listSubscriptions({ agency: 'police' });
    assert.deepEqual(
      subscriptions.map((s) => s.status),
      [datasharing.SubscriptionStatus.REVOKED, datasharing.SubscriptionStatus.REQUESTED],
    );
  });

  it('answers queries only on the channels the subscription delivers', async () => {
    for (const [agency, delivery] of [
      ['kafkaonly', DELIVERY.KAFKA],
      ['grpconly', DELIVERY.GRPC],
    ] as const) {
      const { subscription } = await h.requester.requestSubscription(
        request(agency, { terms: { fields: [F.NAME], scope: {}, delivery } }),
      );
      await h.approver.approveSubscription({ subscriptionId: subscription!.subscriptionId });
    }
    const kafkaOnly = await h.agency('kafkaonly');
    const grpcOnly = await h.agency('grpconly');
    await assert.rejects(
      kafkaOnly.getCitizen({
        purpose: 'kafkaonly-purpose',
        citizen: { key: { case: 'citizenId', value: '0193a000-0000-7000-8000-000000000001' } },
      }),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'DELIVERY_NOT_ALLOWED',
    );
    await assert.rejects(
      grpcOnly.getCitizen({
        purpose: 'grpconly-purpose',
        citizen: { key: { case: 'citizenId', value: '0193a000-0000-7000-8000-000000000001' } },
      }),
      (e) => code(e) === status.NOT_FOUND,
      'a gRPC subscription reads',
    );
    await h.settled();
    const [views] = await h.running.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ds_backfills WHERE agency = 'grpconly' AND mode = 'project'`,
    );
    assert.equal(views!.n, '0', 'no view is kept for an agency that receives nothing on Kafka');
  });
});
