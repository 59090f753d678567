import type { Message } from '@bufbuild/protobuf';
import type { Authorized } from '@cancuoc/auth';
import {
  defineService,
  invalidArgument,
  withIdempotency,
  type Authenticator,
  type CallContext,
  type IdempotencyStore,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import type { Subscriptions } from '../../application/subscriptions.js';
import type { SubscriptionRow } from '../../application/subscription-rows.js';
import { adminContext } from './callers.js';
import { guarded } from './errors.js';
import { catalogueMessage, subscriptionMessage, termsInput } from './subscription-proto.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const version = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));

function subscriptionId(id: string): string {
  if (!UUID.test(id))
    throw invalidArgument([
      { field: 'subscription_id', reason: 'INVALID_FORMAT', description: 'a lower-case UUID' },
    ]);
  return id;
}

/**
 * `cancuoc.datasharing.v1.SubscriptionService`: administrators only (the platform policy). This is
 * where an agency's code is named — by the administrators who onboard it; agencies never call it.
 */
export function subscriptionService(
  subscriptions: Subscriptions,
  authenticate: Authenticator<Authorized>,
  idempotency: IdempotencyStore,
): ServiceRegistration {
  /** A mutating RPC: idempotent per administrator under `idempotency-key`, answered with the subscription. */
  const mutation = <Req extends Message>(
    work: (request: Req, call: CallContext<Authorized>) => Promise<SubscriptionRow>,
  ) =>
    withIdempotency(
      idempotency,
      (request: Req, call: CallContext<Authorized>) =>
        guarded(async () => {
          const row = await work(request, call);
          return {
            subscription: subscriptionMessage(await subscriptions.get(row.subscription.subscriptionId)),
          };
        }),
      { scope: (call) => call.principal.actor },
    );
  return defineService(
    datasharing.SubscriptionService,
    { authenticate },
    {
      listCitizenFields: () => catalogueMessage(),
      requestSubscription: mutation<datasharing.RequestSubscriptionRequest>((request, call) =>
        subscriptions.request(
          {
            agency: request.agency,
            agencyName: request.agencyName,
            purpose: request.purpose,
            purposeDescription: request.purposeDescription,
            legalBasis: request.legalBasis,
            terms: termsInput(request.terms),
          },
          adminContext(call),
        ),
      ),
      approveSubscription: mutation<datasharing.ApproveSubscriptionRequest>((request, call) =>
        subscriptions.approve(
          subscriptionId(request.subscriptionId),
          version(request.expectedVersion),
          adminContext(call),
        ),
      ),
      changeSubscription: withIdempotency(
        idempotency,
        (request: datasharing.ChangeSubscriptionRequest, call: CallContext<Authorized>) =>
          guarded(async () => {
            const row = await subscriptions.change(
              subscriptionId(request.subscriptionId),
              { terms: termsInput(request.terms), reason: request.reason },
              version(request.expectedVersion),
              adminContext(call),
            );
            const view = await subscriptions.get(row.subscription.subscriptionId);
            return {
              subscription: subscriptionMessage(view),
              needsApproval: view.subscription.pendingChange !== null,
            };
          }),
        { scope: (call) => call.principal.actor },
      ),
      suspendSubscription: mutation<datasharing.SuspendSubscriptionRequest>((request, call) =>
        subscriptions.suspend(
          subscriptionId(request.subscriptionId),
          request.reason,
          version(request.expectedVersion),
          adminContext(call),
        ),
      ),
      resumeSubscription: mutation<datasharing.ResumeSubscriptionRequest>((request, call) =>
        subscriptions.resume(
          subscriptionId(request.subscriptionId),
          request.reason,
          version(request.expectedVersion),
          adminContext(call),
        ),
      ),
      revokeSubscription: mutation<datasharing.RevokeSubscriptionRequest>((request, call) =>
        subscriptions.revoke(
          subscriptionId(request.subscriptionId),
          request.reason,
          version(request.expectedVersion),
          adminContext(call),
        ),
      ),
      getSubscription: async (request) =>
        guarded(async () => {
          return {
            subscription: subscriptionMessage(
              await subscriptions.get(subscriptionId(request.subscriptionId)),
            ),
          };
        }),
      listSubscriptions: async (request) =>
        guarded(async () => {
          const views = await subscriptions.list(request.agency === '' ? undefined : request.agency);
          return { subscriptions: views.map(subscriptionMessage) };
        }),
    },
  );
}
