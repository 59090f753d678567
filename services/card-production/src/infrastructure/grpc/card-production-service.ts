import type { Authorized } from '@cancuoc/auth';
import {
  defineService,
  invalidArgument,
  type Authenticator,
  type CallContext,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { CardProductionService, type RevocationReason } from '@cancuoc/proto';
import type { CardQueries, CardView } from '../../application/card-queries.js';
import type { CardOperations, OperatorCommand } from '../../application/operations.js';
import type { AuditLog } from '@cancuoc/audit';
import { auditRecords } from '../../application/audit-records.js';
import type { Clock, DocumentSignerInfo, DocumentSigners } from '../../application/ports.js';
import { cardJobMessage, REVOCATION_FROM_PROTO, STATUS_FROM_PROTO } from '../card-proto.js';
import type { RevocationListPublisher } from '../revocation-list.js';
import type { CardCommand } from '../../domain/card/commands.js';
import { guarded, requireIds } from './errors.js';
import { checkApplicationId, checkCommand, checks } from './request-checks.js';
import { contextOf } from './principals.js';

export interface CardProductionServiceOptions {
  readonly queries: CardQueries;
  readonly operations: CardOperations;
  readonly signers: DocumentSigners;
  readonly revocationList: RevocationListPublisher;
  readonly clock: Clock;
  readonly maxAttempts: number;
  readonly audit: AuditLog;
  /** The guard of @cancuoc/auth: who may call which RPC is the platform policy's, decided before a handler runs. */
  readonly authenticate: Authenticator<Authorized>;
}

function signerMessage(s: DocumentSignerInfo) {
  return {
    keyId: s.keyId,
    certificate: s.certificate,
    signsFrom: s.signsFrom.toISOString(),
    signsUntil: s.signsUntil.toISOString(),
    current: s.current,
  };
}

function revocationReason(value: RevocationReason, field = 'reason') {
  checks().enumValue(field, value, REVOCATION_FROM_PROTO, 'a revocation reason').done();
  return REVOCATION_FROM_PROTO.get(value)!;
}

/**
 * `cancuoc.cardproduction.v1.CardProductionService`: the operators' API (administrators), and the
 * trust material (revocation list, trust anchors) for everyone who checks cards — stations,
 * agencies, services, administrators. Who may call what is the platform policy's
 * (`libs/auth/src/policy/platform.ts`); no handler checks a role.
 */
export function cardProductionService(options: CardProductionServiceOptions): ServiceRegistration {
  const { queries, operations, signers, clock } = options;
  const card = (view: CardView) => ({ card: cardJobMessage(view, options.maxAttempts) });
  // A card's document number is personal data: who read which card is audited.
  const audited = (call: CallContext<Authorized>, views: readonly CardView[]) =>
    options.audit.recordMany(
      views.map((v) => auditRecords.cardRead(v.job, call.principal.actor, call.method.name)),
    );
  const command = async (
    cardId: string,
    cmd: OperatorCommand,
    call: CallContext<Authorized>,
    renames?: Record<string, string>,
  ) => {
    requireIds({ card_id: cardId });
    // Refused before the card is loaded; the decider checks the same again.
    checkCommand({ ...cmd, now: '' } as CardCommand, renames);
    await guarded(() => operations.run(cardId, cmd, contextOf(call)), renames);
    return card(await queries.get(cardId));
  };
  return defineService(
    CardProductionService,
    { authenticate: options.authenticate },
    {
      getCard: async (request, call) => {
        const which = request.card;
        if (which.case === 'cardId') requireIds({ card_id: which.value });
        else if (which.case === 'applicationId') checkApplicationId('application_id', which.value);
        else {
          throw invalidArgument([
            { field: 'card', reason: 'REQUIRED', description: 'a card id or an application id' },
          ]);
        }
        const view = await guarded(() =>
          which.case === 'cardId' ? queries.get(which.value) : queries.byApplication(which.value),
        );
        const history = await queries.history(view.cardId);
        await audited(call, [view]);
        return {
          ...card(view),
          history: history.map((h) => ({
            version: BigInt(h.version),
            change: h.change,
            recordedAt: h.recordedAt.toISOString(),
            actor: h.actor,
          })),
        };
      },
      listCards: async (request, call) => {
        checks().enumValue('status', request.status, STATUS_FROM_PROTO, 'the state to list').done();
        const status = STATUS_FROM_PROTO.get(request.status)!;
        const page = await guarded(() => queries.list(status, request.pageSize, request.pageToken));
        await audited(call, page.cards);
        return {
          cards: page.cards.map((v) => cardJobMessage(v, options.maxAttempts)),
          nextPageToken: page.nextPageToken,
        };
      },
      getQueueDepth: async () => {
        const depth = await queries.queueDepth(clock());
        return {
          personalising: BigInt(depth.personalising),
          waitingForEnrollment: BigInt(depth.waitingForEnrollment),
          queued: BigInt(depth.queued),
          encoding: BigInt(depth.encoding),
          manualHandling: BigInt(depth.manualHandling),
          queuedByPriority: depth.queuedByPriority.map((p) => ({
            priority: p.priority,
            queued: BigInt(p.queued),
          })),
          oldestQueuedSeconds: BigInt(depth.oldestQueuedSeconds),
          stationsConnected: depth.stationsConnected,
        };
      },
      recordQualityCheck: (request, call) =>
        command(
          request.cardId,
          { type: 'RecordQualityCheck', passed: request.passed, defects: request.defects },
          call,
        ),
      shipCard: (request, call) =>
        command(
          request.cardId,
          {
            type: 'ShipCard',
            shipmentId: request.shipmentId,
            destinationUnitCode: request.destinationUnitCode,
          },
          call,
          { shipmentId: 'shipment_id', destinationUnitCode: 'destination_unit_code' },
        ),
      deliverCard: (request, call) =>
        command(request.cardId, { type: 'DeliverCard', unitCode: request.deliveredAtUnitCode }, call, {
          deliveredAtUnitCode: 'delivered_at_unit_code',
        }),
      activateCard: (request, call) => command(request.cardId, { type: 'ActivateCard' }, call),
      revokeCard: (request, call) =>
        command(request.cardId, { type: 'RevokeCard', reason: revocationReason(request.reason) }, call),
      cancelCard: (request, call) =>
        command(request.cardId, { type: 'CancelCard', reason: request.reason }, call),
      retryCard: (request, call) => command(request.cardId, { type: 'RetryCard' }, call),
      reprintCard: async (request, call) => {
        requireIds({ card_id: request.cardId });
        const reason = revocationReason(request.reason);
        const created = await guarded(() => operations.reprint(request.cardId, reason, contextOf(call)));
        return card(await queries.get(created.job.request.cardId));
      },
      getRevocationList: () => guarded(() => options.revocationList.current()),
      getTrustAnchors: async () => {
        const [cscas, documentSigners] = await Promise.all([
          signers.cscaCertificates(),
          signers.certificates(clock()),
        ]);
        return { cscaCertificates: [...cscas], documentSigners: documentSigners.map(signerMessage) };
      },
      rotateDocumentSigner: async () => {
        const { retired, current } = await guarded(() => signers.rotate(clock()));
        return { retired: signerMessage(retired), current: signerMessage(current) };
      },
    },
  );
}
