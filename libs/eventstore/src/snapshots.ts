import type { SqlExecutor } from './database.js';

export interface SnapshotPolicy<State> {
  /** Take a snapshot whenever the stream passes a multiple of this many events. */
  readonly every: number;
  /** Names the state's shape; with `schemaVersion` it decides whether a stored snapshot still fits. */
  readonly type: string;
  /** Bump when the state's shape changes: older snapshots are then ignored and rebuilt from events. */
  readonly schemaVersion: number;
  readonly serialize?: (state: State) => unknown;
  readonly deserialize?: (stored: unknown) => State;
}

export interface Snapshot<State> {
  readonly state: State;
  readonly streamVersion: number;
}

export async function loadSnapshot<State>(
  db: SqlExecutor,
  streamId: string,
  policy: SnapshotPolicy<State>,
): Promise<Snapshot<State> | undefined> {
  const [row] = await db.query<{ state: unknown; stream_version: number }>(
    `SELECT state, stream_version FROM es_snapshots
     WHERE stream_id = $1 AND snapshot_type = $2 AND schema_version = $3`,
    [streamId, policy.type, policy.schemaVersion],
  );
  if (!row) return undefined;
  const state = policy.deserialize ? policy.deserialize(row.state) : (row.state as State);
  return { state, streamVersion: row.stream_version };
}

/** Keeps the newest snapshot; an older one arriving late never replaces it. */
export async function saveSnapshot<State>(
  db: SqlExecutor,
  streamId: string,
  policy: SnapshotPolicy<State>,
  snapshot: Snapshot<State>,
): Promise<void> {
  const stored = policy.serialize ? policy.serialize(snapshot.state) : snapshot.state;
  await db.query(
    `INSERT INTO es_snapshots (stream_id, stream_version, snapshot_type, schema_version, state)
     VALUES ($1, $2, $3, $4, $5::jsonb)
     ON CONFLICT (stream_id) DO UPDATE
       SET stream_version = EXCLUDED.stream_version, snapshot_type = EXCLUDED.snapshot_type,
           schema_version = EXCLUDED.schema_version, state = EXCLUDED.state, taken_at = now()
     WHERE es_snapshots.stream_version < EXCLUDED.stream_version
        OR es_snapshots.schema_version <> EXCLUDED.schema_version`,
    [streamId, snapshot.streamVersion, policy.type, policy.schemaVersion, JSON.stringify(stored)],
  );
}

export function snapshotDue(every: number, fromVersion: number, toVersion: number): boolean {
  return Math.floor(toVersion / every) > Math.floor(fromVersion / every);
}
