import { decodePageToken, encodePageToken, isRecordId } from '@cancuoc/identity';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { operations } from '@cancuoc/proto';

/** Who must take the next action on a piece of unfinished work. */
export type WorkActor =
  | 'platform'
  | 'enrollment-station'
  | 'supervisor'
  | 'adjudication'
  | 'encoding-station'
  | 'operator'
  | 'delivery';

/** What has to happen next. */
export type WorkAction =
  | 'register-lookup'
  | 'capture-biometrics'
  | 'duplicate-check'
  | 'adjudicate'
  | 'review'
  | 'produce-card'
  | 'personalise'
  | 'encode'
  | 'finish-encoding'
  | 'quality-check'
  | 'ship'
  | 'deliver'
  | 'activate'
  | 'resolve-manual-handling';

/** One application or card in a non-final state; ids, stations and states only. */
export interface UnfinishedWorkItem {
  readonly kind: 'application' | 'card';
  readonly id: string;
  readonly stationId: string | null;
  /** The state's enum value name in the service's API, e.g. `APPLICATION_STAGE_CAPTURING`. */
  readonly state: string;
  readonly since: Date;
  readonly nextAction: WorkAction;
  readonly actor: WorkActor;
  /** When the platform retries: failed attempts, the last failure's kind, the next attempt. */
  readonly attempts?: number;
  readonly lastError?: string | null;
  readonly nextAttemptAt?: Date | null;
  readonly relatedId?: string | null;
}

/** Which page of the unfinished work: items in their state since before `before`, after the cursor. */
export interface UnfinishedWorkQuery {
  readonly before: Date;
  /** Oldest first by (since, id); the page starts after this one. */
  readonly after: { readonly since: Date; readonly id: string } | undefined;
  readonly limit: number;
}

/** The port a service with a workflow implements: its non-final work, oldest first. */
export interface UnfinishedWorkSource {
  list(query: UnfinishedWorkQuery): Promise<UnfinishedWorkItem[]>;
}

export interface UnfinishedWorkOptions {
  /** Absent for a service with no workflow of its own: it answers an empty list. */
  readonly source?: UnfinishedWorkSource;
  /** The threshold when the request sets none (`UNFINISHED_WORK_AFTER_SECONDS`). */
  readonly defaultOlderThanSeconds: number;
}

/** The default of `UNFINISHED_WORK_AFTER_SECONDS`: ten minutes. */
export const DEFAULT_UNFINISHED_WORK_AFTER_SECONDS = 600;

const ACTIONS: Record<WorkAction, operations.NextAction> = {
  'register-lookup': operations.NextAction.REGISTER_LOOKUP,
  'capture-biometrics': operations.NextAction.CAPTURE_BIOMETRICS,
  'duplicate-check': operations.NextAction.DUPLICATE_CHECK,
  adjudicate: operations.NextAction.ADJUDICATE,
  review: operations.NextAction.REVIEW,
  'produce-card': operations.NextAction.PRODUCE_CARD,
  personalise: operations.NextAction.PERSONALISE,
  encode: operations.NextAction.ENCODE,
  'finish-encoding': operations.NextAction.FINISH_ENCODING,
  'quality-check': operations.NextAction.QUALITY_CHECK,
  ship: operations.NextAction.SHIP,
  deliver: operations.NextAction.DELIVER,
  activate: operations.NextAction.ACTIVATE,
  'resolve-manual-handling': operations.NextAction.RESOLVE_MANUAL_HANDLING,
};

const ACTORS: Record<WorkActor, operations.Actor> = {
  platform: operations.Actor.PLATFORM,
  'enrollment-station': operations.Actor.ENROLLMENT_STATION,
  supervisor: operations.Actor.SUPERVISOR,
  adjudication: operations.Actor.ADJUDICATION,
  'encoding-station': operations.Actor.ENCODING_STATION,
  operator: operations.Actor.OPERATOR,
  delivery: operations.Actor.DELIVERY,
};

const LIST = 'unfinished-work';
const MAX_PAGE = 500;
const isInstant = (part: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(part) && !Number.isNaN(Date.parse(part));

/**
 * ListUnfinishedWork for one service: the threshold (the request's or the default), an AIP-158 page
 * size, and an opaque page token bound to the threshold, checked before the source is asked.
 */
export async function listUnfinishedWork(
  options: UnfinishedWorkOptions,
  request: operations.ListUnfinishedWorkRequest,
  now: Date,
): Promise<MessageInitShape<typeof operations.ListUnfinishedWorkResponseSchema>> {
  const olderThan = request.olderThanSeconds ?? options.defaultOlderThanSeconds;
  const limit = Math.min(Math.max(request.pageSize || 100, 1), MAX_PAGE);
  let after: UnfinishedWorkQuery['after'];
  if (request.pageToken) {
    const [since, id] = decodePageToken(request.pageToken, LIST, [olderThan], [isInstant, isRecordId]);
    after = { since: new Date(since!), id: id! };
  }
  if (!options.source) return { items: [], nextPageToken: '', olderThanSeconds: olderThan };
  const rows = await options.source.list({
    before: new Date(now.getTime() - olderThan * 1000),
    after,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((item) => ({
      kind: item.kind === 'application' ? operations.WorkKind.APPLICATION : operations.WorkKind.CARD,
      id: item.id,
      stationId: item.stationId ?? '',
      state: item.state,
      since: item.since.toISOString(),
      secondsInState: BigInt(Math.max(0, Math.floor((now.getTime() - item.since.getTime()) / 1000))),
      nextAction: ACTIONS[item.nextAction],
      actor: ACTORS[item.actor],
      attempts: item.attempts ?? 0,
      lastError: item.lastError ?? '',
      nextAttemptAt: item.nextAttemptAt?.toISOString() ?? '',
      relatedId: item.relatedId ?? '',
    })),
    nextPageToken:
      rows.length > limit && last
        ? encodePageToken(LIST, [olderThan], [last.since.toISOString(), last.id])
        : '',
    olderThanSeconds: olderThan,
  };
}
