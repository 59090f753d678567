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
import type { SubscriptionCommand } from '../../domain/subscription/commands.js';
import { AGENCY, commandViolations } from '../../domain/subscription/decider.js';
import { InvalidSubscriptionCommandError } from '../../domain/subscription/errors.js';
import { guarded, toRpcError } from './errors.js';
import { catalogueMessage, subscriptionMessage, termsInput } from './subscription-proto.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A subscription's stream never gets near it. */
const MAX_VERSION = 2_147_483_647n;
/** Stands for the id a request is given, when its other fields are checked before it has one. */
const NEW_ID = '00000000-0000-0000-0000-000000000000';
const version = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));

/** `subscription_id` and `expected_version` of a request, before anything runs. */
function checkTarget(request: { subscriptionId: string; expectedVersion?: bigint | undefined }): void {
  const violations = [];
  if (!UUID.test(request.subscriptionId))
    violations.push({
      field: 'subscription_id',
      reason: request.subscriptionId === '' ? 'REQUIRED' : 'INVALID_FORMAT',
      description: 'a lower-case UUID',
    });
  if (request.expectedVersion !== undefined && request.expectedVersion > MAX_VERSION)
    violations.push({
      field: 'expected_version',
      reason: 'OUT_OF_RANGE',
      description: `a version from 0 to ${MAX_VERSION}`,
    });
  if (violations.length > 0) throw invalidArgument(violations);
}

/**
 * What the command carries (the decider's own rules: codes, texts, terms), refused before the
 * idempotency key is claimed or anything read — field names as the request spells them.
 */
function checkCommand(command: SubscriptionCommand): void {
  const violations = commandViolations(command);
  if (violations.length > 0) throw toRpcError(new InvalidSubscriptionCommandError(violations));
}

const ACTING = { by: '', at: '' };

/**
 * `cancuoc.datasharing.v1.SubscriptionService`: administrators only (the platform policy). This is
 * where an agency's code is named — by the administrators who onboard it; agencies never call it.
 * Every request is checked whole before the idempotency key is claimed and before any query.
 */
export function subscriptionService(
  subscriptions: Subscriptions,
  authenticate: Authenticator<Authorized>,
  idempotency: IdempotencyStore,
): ServiceRegistration {
  /** Checks the request, then runs it idempotently per administrator under `idempotency-key`. */
  const idempotent = <Req extends Message, Res>(
    check: (request: Req) => void,
    work: (request: Req, call: CallContext<Authorized>) => Promise<Res>,
  ) => {
    const run = withIdempotency(
      idempotency,
      (request: Req, call: CallContext<Authorized>) => guarded(() => work(request, call)),
      {
        scope: (call) => call.principal.actor,
      },
    );
    return (request: Req, call: CallContext<Authorized>) => {
      check(request);
      return run(request, call);
    };
  };
  /** A mutating RPC answered with the subscription. */
  const mutation = <Req extends Message>(
    check: (request: Req) => void,
    work: (request: Req, call: CallContext<Authorized>) => Promise<SubscriptionRow>,
  ) =>
    idempotent(check, async (request: Req, call: CallContext<Authorized>) => {
      const row = await work(request, call);
      return {
        subscription: subscriptionMessage(await subscriptions.get(row.subscription.subscriptionId)),
      };
    });
  /** Suspend, resume, revoke: a subscription, a reason, an expected version. */
  const statusChange =
    (type: 'SuspendSubscription' | 'ResumeSubscription' | 'RevokeSubscription') =>
    (request: { subscriptionId: string; reason: string; expectedVersion?: bigint | undefined }) => {
      checkTarget(request);
      checkCommand({ type, reason: request.reason, ...ACTING });
    };
  return defineService(
    datasharing.SubscriptionService,
    { authenticate },
    {
      listCitizenFields: () => catalogueMessage(),
      requestSubscription: mutation<datasharing.RequestSubscriptionRequest>(
        (request) =>
          checkCommand({
            type: 'RequestSubscription',
            subscriptionId: NEW_ID,
            ...requestOf(request),
            ...ACTING,
          }),
        (request, call) => subscriptions.request(requestOf(request), adminContext(call)),
      ),
      approveSubscription: mutation<datasharing.ApproveSubscriptionRequest>(checkTarget, (request, call) =>
        subscriptions.approve(request.subscriptionId, version(request.expectedVersion), adminContext(call)),
      ),
      changeSubscription: idempotent<datasharing.ChangeSubscriptionRequest, object>(
        (request) => {
          checkTarget(request);
          checkCommand({
            type: 'ChangeSubscription',
            terms: termsInput(request.terms),
            reason: request.reason,
            ...ACTING,
          });
        },
        async (request, call) => {
          const row = await subscriptions.change(
            request.subscriptionId,
            { terms: termsInput(request.terms), reason: request.reason },
            version(request.expectedVersion),
            adminContext(call),
          );
          const view = await subscriptions.get(row.subscription.subscriptionId);
          return {
            subscription: subscriptionMessage(view),
            needsApproval: view.subscription.pendingChange !== null,
          };
        },
      ),
      suspendSubscription: mutation<datasharing.SuspendSubscriptionRequest>(
        statusChange('SuspendSubscription'),
        (request, call) =>
          subscriptions.suspend(
            request.subscriptionId,
            request.reason,
            version(request.expectedVersion),
            adminContext(call),
          ),
      ),
      resumeSubscription: mutation<datasharing.ResumeSubscriptionRequest>(
        statusChange('ResumeSubscription'),
        (request, call) =>
          subscriptions.resume(
            request.subscriptionId,
            request.reason,
            version(request.expectedVersion),
            adminContext(call),
          ),
      ),
      revokeSubscription: mutation<datasharing.RevokeSubscriptionRequest>(
        statusChange('RevokeSubscription'),
        (request, call) =>
          subscriptions.revoke(
            request.subscriptionId,
            request.reason,
            version(request.expectedVersion),
            adminContext(call),
          ),
      ),
      getSubscription: async (request) => {
        checkTarget(request);
        return guarded(async () => ({
          subscription: subscriptionMessage(await subscriptions.get(request.subscriptionId)),
        }));
      },
      listSubscriptions: async (request) => {
        if (request.agency !== '' && !AGENCY.test(request.agency))
          throw invalidArgument([
            {
              field: 'agency',
              reason: 'INVALID_FORMAT',
              description: 'an agency code: 2 to 40 of a–z, 0–9 and -, starting with a letter',
            },
          ]);
        return guarded(async () => {
          const views = await subscriptions.list(request.agency === '' ? undefined : request.agency);
          return { subscriptions: views.map(subscriptionMessage) };
        });
      },
    },
  );
}

function requestOf(request: datasharing.RequestSubscriptionRequest) {
  return {
    agency: request.agency,
    agencyName: request.agencyName,
    purpose: request.purpose,
    purposeDescription: request.purposeDescription,
    legalBasis: request.legalBasis,
    terms: termsInput(request.terms),
  };
}
