import {
  APPENDED_CHANNEL,
  BACKLOG_COUNT_LIMIT,
  backlogOf,
  rewindSubscription,
  type EventStore,
  type SqlExecutor,
  type Tx,
} from '@cancuoc/eventstore';

/** How far one projection is behind its service's event log. */
export interface ProjectionStatus {
  readonly name: string;
  readonly description: string;
  /** Global position of the last event applied; 0 before the first (and again once a rebuild began). */
  readonly position: bigint;
  /** Committed events not applied yet, counted up to `BACKLOG_COUNT_LIMIT`. */
  readonly lag: number;
  readonly lagCapped: boolean;
  /** Age of the oldest event not applied yet; 0 when caught up. */
  readonly lagSeconds: number;
  /** Set while a rebuild has begun and not reached its target. */
  readonly rebuild?: { readonly targetPosition: bigint; readonly startedAt: Date };
}

/**
 * A projection as the operations service sees it: a small adapter each service writes around its
 * read model (see `eventStoreProjection` for the usual one).
 */
export interface OperationsProjection {
  readonly name: string;
  readonly description: string;
  status(): Promise<ProjectionStatus>;
  /** Begins a rebuild and returns at once, with the status just after; reads keep being served. */
  rebuild(actor: string): Promise<ProjectionStatus>;
}

/** The checkpoint and backlog of subscription `name`, and the rebuild recorded under `projection`, if running. */
export async function subscriptionStatus(
  db: SqlExecutor,
  subscription: string,
  projection: { readonly name: string; readonly description: string },
): Promise<ProjectionStatus> {
  const [row] = await db.query<{
    tx: string;
    pos: string;
    target_tx: string | null;
    target_pos: string | null;
    started_at: Date | string | null;
    running: boolean | null;
  }>(
    `SELECT s.transaction_id::text AS tx, s.global_position::text AS pos,
            r.target_transaction_id::text AS target_tx, r.target_position::text AS target_pos, r.started_at,
            (s.transaction_id, s.global_position) < (r.target_transaction_id, r.target_position) AS running
       FROM es_subscriptions s
       LEFT JOIN ops_projection_rebuilds r ON r.projection = $2
      WHERE s.subscription_id = $1`,
    [subscription, projection.name],
  );
  const backlog = await backlogOf(db, subscription);
  return {
    name: projection.name,
    description: projection.description,
    position: BigInt(row?.pos ?? '0'),
    lag: backlog.events,
    lagCapped: backlog.events >= BACKLOG_COUNT_LIMIT,
    lagSeconds: backlog.oldestAgeSeconds,
    ...(row?.running && {
      rebuild: { targetPosition: BigInt(row.target_pos!), startedAt: new Date(row.started_at!) },
    }),
  };
}

/** The global position of the log's last committed event; 0 while it is empty. */
export async function logHeadPosition(db: SqlExecutor): Promise<bigint> {
  const [row] = await db.query<{ head: string | null }>(
    'SELECT max(global_position)::text AS head FROM es_events',
  );
  return BigInt(row?.head ?? '0');
}

/**
 * Records that a rebuild of `projection` began now, by `actor`: it is done once its subscription's
 * checkpoint passes the last event committed now. Needs `operationsMigrations`.
 */
export async function recordRebuild(db: SqlExecutor, projection: string, actor: string): Promise<void> {
  await db.query(
    `INSERT INTO ops_projection_rebuilds (projection, target_transaction_id, target_position, started_at, started_by)
     SELECT $1, COALESCE(last.transaction_id, '0'::xid8), COALESCE(last.global_position, 0), now(), $2
       FROM (SELECT 1) AS one
       LEFT JOIN LATERAL (SELECT transaction_id, global_position FROM es_events
                           ORDER BY transaction_id DESC, global_position DESC LIMIT 1) AS last ON true
     ON CONFLICT (projection) DO UPDATE SET target_transaction_id = EXCLUDED.target_transaction_id,
       target_position = EXCLUDED.target_position, started_at = EXCLUDED.started_at,
       started_by = EXCLUDED.started_by`,
    [projection, actor],
  );
}

/**
 * Rewinds subscription `subscription` to the start of the log and records the rebuild under
 * `projection`, in one transaction that first waits for the batch in progress. `prepare` runs in
 * it too, for what the projection resets besides its checkpoint.
 */
export async function rewindProjection(
  store: EventStore,
  subscription: string,
  projection: string,
  actor: string,
  prepare?: (tx: Tx) => Promise<void>,
): Promise<void> {
  await store.transaction(async (tx) => {
    await rewindSubscription(tx, subscription);
    await prepare?.(tx);
    await recordRebuild(tx, projection, actor);
  });
  store.db.notify(APPENDED_CHANNEL);
}

export interface EventStoreProjectionOptions {
  readonly store: EventStore;
  /** The durable subscription (its checkpoint's name) that keeps the read model. */
  readonly subscription: string;
  /** The name operators use; defaults to the subscription's. */
  readonly name?: string;
  readonly description: string;
}

/**
 * A read model kept by an event-store `Subscription` whose handler is idempotent under replay (it
 * may see an event it applied before, and must leave the row as the stream says): rebuilt by
 * rewinding the checkpoint to the start, while the rows stay readable and are overwritten in place.
 */
export function eventStoreProjection(options: EventStoreProjectionOptions): OperationsProjection {
  const name = options.name ?? options.subscription;
  const projection = { name, description: options.description };
  return {
    name,
    description: options.description,
    status: () => subscriptionStatus(options.store.db, options.subscription, projection),
    rebuild: async (actor) => {
      await rewindProjection(options.store, options.subscription, name, actor);
      return subscriptionStatus(options.store.db, options.subscription, projection);
    },
  };
}
