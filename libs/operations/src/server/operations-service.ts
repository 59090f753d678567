import type { AuditLog, AuditVerification } from '@cancuoc/audit';
import {
  defineService,
  failedPrecondition,
  invalidArgument,
  notFound,
  rpcError,
  status,
  type Authenticator,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import {
  deadLetterDepth,
  deadLetterTopic,
  KafkaTransport,
  redriveDeadLetters,
  RedriveTimeoutError,
  type Transport,
} from '@cancuoc/messaging';
import type { SqlExecutor } from '@cancuoc/eventstore';
import { InvalidPageTokenError } from '@cancuoc/identity';
import { operations } from '@cancuoc/proto';
import { logHeadPosition, type OperationsProjection, type ProjectionStatus } from './projections.js';
import {
  DEFAULT_UNFINISHED_WORK_AFTER_SECONDS,
  listUnfinishedWork,
  type UnfinishedWorkOptions,
} from './unfinished-work.js';

/** A consumer as the operations service sees it (an `IdempotentConsumer` is one). */
export interface ConsumedTopics {
  readonly subscriber: string;
  readonly topics: readonly string[];
}

export interface OperationsServiceOptions {
  /** `registry`, `enrollment`, …: named in errors. */
  readonly service: string;
  /**
   * The service's authentication hook (`ServiceAuth.authenticate` from @cancuoc/auth): the same
   * its other APIs use, so the platform policy decides who may call these RPCs.
   */
  readonly authenticate: Authenticator<{ readonly actor: string }>;
  readonly audit: AuditLog;
  /** The service's own database, whose event log's head ListProjections reports. */
  readonly eventLog: SqlExecutor;
  readonly projections?: readonly OperationsProjection[];
  readonly consumers?: readonly ConsumedTopics[];
  /** The transport the consumers read from. */
  readonly transport: Transport;
  /** How long a redrive may take before the call gives up (the redrive then stops). Default 60 s. */
  readonly redriveTimeoutMs?: number;
  /**
   * The service's applications or cards in a non-final state, for ListUnfinishedWork; without a
   * source (no workflow of its own) the service answers an empty list.
   */
  readonly unfinishedWork?: Partial<UnfinishedWorkOptions>;
  readonly clock?: () => Date;
}

/** The precondition a service on Kafka cites when asked to redrive. */
export const REDRIVE_NEEDS_OPERATOR = 'REDRIVE_NEEDS_OPERATOR';

const PROBLEMS: Record<
  Extract<AuditVerification, { ok: false }>['reason'],
  { kind: operations.AuditProblemKind; description: string }
> = {
  HASH_MISMATCH: {
    kind: operations.AuditProblemKind.HASH_MISMATCH,
    description: "the entry's hash is not the hash of its contents: it was changed",
  },
  PREVIOUS_HASH_MISMATCH: {
    kind: operations.AuditProblemKind.PREVIOUS_HASH_MISMATCH,
    description: 'the entry does not link to the entry before it: one was replaced or inserted',
  },
  SEQUENCE_GAP: {
    kind: operations.AuditProblemKind.SEQUENCE_GAP,
    description: 'an entry is missing here: it was removed',
  },
  HEAD_MISMATCH: {
    kind: operations.AuditProblemKind.HEAD_MISMATCH,
    description: 'the chain does not end at the recorded head: its tail was cut off or replaced',
  },
};

function projectionMessage(s: ProjectionStatus) {
  return {
    name: s.name,
    description: s.description,
    position: s.position,
    lag: BigInt(s.lag),
    lagCapped: s.lagCapped,
    lagSeconds: s.lagSeconds,
    rebuilding: s.rebuild !== undefined,
    rebuildTargetPosition: s.rebuild?.targetPosition ?? 0n,
    rebuildStartedAt: s.rebuild?.startedAt.toISOString() ?? '',
  };
}

/** Why a broker refused or failed, without its message (which may name hosts or users). */
const unavailableReason = (error: unknown) =>
  `${error instanceof Error ? error.name : typeof error}: the offsets could not be read`;

/**
 * `cancuoc.operations.v1.OperationsService` for one service (the platform policy decides who may
 * call it): its audit chain, its projections, the dead letters of what it consumes and its
 * unfinished work. Redrive is served only when the transport
 * is not Kafka (embedded: the in-process transport the platform's services share); on Kafka the
 * service's own user may not write the topics it consumes, and the operator's tool redrives.
 */
export function operationsService(options: OperationsServiceOptions): ServiceRegistration {
  const projections = new Map((options.projections ?? []).map((p) => [p.name, p]));
  const consumed = (options.consumers ?? []).flatMap((c) =>
    c.topics.map((topic) => ({ topic, subscriber: c.subscriber })),
  );
  const redriveServed = !(options.transport instanceof KafkaTransport);
  const unfinishedWork: UnfinishedWorkOptions = {
    ...options.unfinishedWork,
    defaultOlderThanSeconds:
      options.unfinishedWork?.defaultOlderThanSeconds ?? DEFAULT_UNFINISHED_WORK_AFTER_SECONDS,
  };
  const clock = options.clock ?? (() => new Date());
  return defineService(
    operations.OperationsService,
    { authenticate: options.authenticate },
    {
      verifyAuditLog: async () => {
        const result = await options.audit.verify();
        if (result.ok) {
          return {
            chain: options.audit.chain,
            intact: true,
            entriesChecked: result.sealed,
            unsealedEntries: BigInt(result.unsealed),
            head: { seq: result.head.seq, hash: result.head.hash },
          };
        }
        return {
          chain: options.audit.chain,
          intact: false,
          entriesChecked: result.sealed,
          problem: { seq: result.brokenAt, ...PROBLEMS[result.reason] },
        };
      },
      listProjections: async () => {
        const [statuses, head] = await Promise.all([
          Promise.all([...projections.values()].map((p) => p.status())),
          logHeadPosition(options.eventLog),
        ]);
        return { projections: statuses.map(projectionMessage), logHeadPosition: head };
      },
      rebuildProjection: async (request, call) => {
        if (!request.name)
          throw invalidArgument([
            { field: 'name', reason: 'REQUIRED', description: 'a projection name from ListProjections' },
          ]);
        const projection = projections.get(request.name);
        if (!projection) throw notFound('projection', request.name);
        return { projection: projectionMessage(await projection.rebuild(call.principal.actor)) };
      },
      listDeadLetters: async () => {
        const queues = await Promise.all(
          consumed.map(async ({ topic, subscriber }) => {
            const dlq = deadLetterTopic(topic);
            try {
              const depth = await deadLetterDepth(options.transport, dlq, subscriber);
              return { topic, deadLetterTopic: dlq, subscriber, depth: BigInt(depth) };
            } catch (error) {
              return { topic, deadLetterTopic: dlq, subscriber, depthUnavailable: unavailableReason(error) };
            }
          }),
        );
        return { queues, redriveServed };
      },
      redriveDeadLetters: async (request) => {
        const known = consumed.filter((c) => c.topic === request.topic);
        if (!request.topic)
          throw invalidArgument([
            { field: 'topic', reason: 'REQUIRED', description: 'a topic this service consumes' },
          ]);
        if (known.length === 0)
          throw invalidArgument([
            { field: 'topic', reason: 'NOT_CONSUMED', description: `${options.service} does not consume it` },
          ]);
        if (request.subscriber && !known.some((c) => c.subscriber === request.subscriber))
          throw invalidArgument([
            {
              field: 'subscriber',
              reason: 'UNKNOWN_SUBSCRIBER',
              description: `not a subscriber of ${options.service} to this topic`,
            },
          ]);
        if (!redriveServed)
          throw failedPrecondition(
            [
              {
                type: REDRIVE_NEEDS_OPERATOR,
                subject: request.topic,
                description:
                  'on Kafka no service may write a topic it consumes: redrive with the operator Kafka user (cancuoc redrive with KAFKA_BROKERS)',
              },
            ],
            `${options.service} runs on Kafka; redrive with the operator's Kafka credentials`,
          );
        try {
          const result = await redriveDeadLetters({
            transport: options.transport,
            topic: request.topic,
            ...(request.subscriber && { subscriber: request.subscriber }),
            timeoutMs: options.redriveTimeoutMs ?? 60_000,
          });
          return { redriven: BigInt(result.redriven), skipped: BigInt(result.skipped) };
        } catch (error) {
          if (error instanceof RedriveTimeoutError)
            throw rpcError(
              status.DEADLINE_EXCEEDED,
              `the redrive of ${deadLetterTopic(request.topic)} did not finish in time`,
            );
          throw error;
        }
      },
      listUnfinishedWork: async (request) => {
        try {
          return await listUnfinishedWork(unfinishedWork, request, clock());
        } catch (error) {
          if (error instanceof InvalidPageTokenError)
            throw invalidArgument(error.violations.map((v) => ({ ...v, field: 'page_token' })));
          throw error;
        }
      },
    },
  );
}
