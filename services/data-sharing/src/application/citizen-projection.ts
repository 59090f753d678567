import { Subscription, type EventStore, type RecordedEvent, type Tx } from '@cancuoc/eventstore';
import type { CalendarDate } from '@cancuoc/identity';
import { CITIZEN_STREAM_PREFIX, RECEIVED_EVENT_TYPES, type ReceivedEvent } from '../domain/citizen/events.js';
import { evolveCitizen, newCitizen, type ProjectedCitizen } from '../domain/citizen/projected-citizen.js';
import { lockViews } from './locks.js';
import type { DisclosureEncoder } from './ports.js';
import { currentSubscriptionOf } from './subscription-rows.js';
import { startBackfill } from './views/backfills.js';
import { refreshViews, type CitizenChange } from './views/refresh.js';
import { viewSubscriptions } from './subscription-rows.js';

export const CITIZEN_PROJECTION = 'data-sharing-citizens';
/** NOTIFY channels: the projection moved on; the delivery queue may have grown; a back-fill waits. */
export const PROJECTED_CHANNEL = 'ds_projected';
export const DELIVERY_CHANNEL = 'ds_delivery';
export const BACKFILL_CHANNEL = 'ds_backfill';

/** A batch read before a rebuild reset the checkpoint: it must not move the checkpoint back up. */
export class ProjectionResetError extends Error {
  override readonly name = 'ProjectionResetError';
  constructor() {
    super('the citizen projection was reset while this batch was read; it is read again');
  }
}

export interface CitizenProjectionOptions {
  readonly store: EventStore;
  readonly encode: DisclosureEncoder;
  readonly today: () => CalendarDate;
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

const RECEIVED: ReadonlySet<string> = new Set(RECEIVED_EVENT_TYPES);
const birthMonthDay = (birthDate: string) =>
  Number(birthDate.slice(5, 7)) * 100 + Number(birthDate.slice(8, 10));

interface StateRow {
  citizen_id: string;
  state: ProjectedCitizen;
}

/**
 * The internal citizen projection (`ds_citizens`) and, from it, every agency's view: one durable
 * subscription over the received events, whose batch — citizens, views, delivery queue, position
 * and checkpoint — commits as one transaction. The position is the number of events applied; what
 * every read reports.
 */
export function citizenProjection(options: CitizenProjectionOptions): Subscription {
  return new Subscription(options.store, {
    name: CITIZEN_PROJECTION,
    batchSize: options.batchSize ?? 500,
    onError: options.onError,
    handle: (events, tx) => project(options, events, tx),
  });
}

/**
 * A rebuild resets the checkpoint under the views lock. A batch that read its events before then
 * would, on commit, move the checkpoint back to where it was: it must find that the first event
 * after the checkpoint as it stands is its own first event.
 */
async function guardAgainstReset(store: EventStore, tx: Tx, first: RecordedEvent): Promise<void> {
  const [row] = await tx.query<{ tx: string; pos: string }>(
    `SELECT transaction_id::text AS tx, global_position::text AS pos FROM es_subscriptions WHERE subscription_id = $1`,
    [CITIZEN_PROJECTION],
  );
  const after = { transactionId: BigInt(row!.tx), position: BigInt(row!.pos) };
  const { events } = await store.readAll({ after, limit: 1, tx });
  if (events[0]?.eventId !== first.eventId) throw new ProjectionResetError();
}

async function project(
  options: CitizenProjectionOptions,
  events: readonly RecordedEvent[],
  tx: Tx,
): Promise<void> {
  await lockViews(tx);
  await guardAgainstReset(options.store, tx, events[0]!);
  const [state] = await tx.query<{ position: string; rebuilding: boolean }>(
    `SELECT position::text AS position, rebuilding FROM ds_projection WHERE projection = 'citizens'`,
  );
  const position = BigInt(state!.position) + BigInt(events.length);
  const received = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    if (!e.streamId.startsWith(CITIZEN_STREAM_PREFIX) || !RECEIVED.has(e.type)) continue;
    const id = e.streamId.slice(CITIZEN_STREAM_PREFIX.length);
    received.set(id, [...(received.get(id) ?? []), e]);
  }
  const changes = await applyReceived(options.store, tx, received, state!.rebuilding);
  await tx.query(`UPDATE ds_projection SET position = $1::bigint WHERE projection = 'citizens'`, [
    position.toString(),
  ]);
  if (!state!.rebuilding) {
    await refreshViews(tx, options.encode, await viewSubscriptions(tx), changes, position, options.today());
  } else {
    await finishRebuildIfCaughtUp(options.store, tx, events.at(-1)!);
  }
  const db = options.store.db;
  tx.afterCommit(() => {
    db.notify(PROJECTED_CHANNEL);
    db.notify(DELIVERY_CHANNEL);
  });
}

/**
 * A citizen as their whole stream of received events says, whatever the row holds: what a replay
 * writes, so that a rebuild repairs a damaged row, not only a missing one. It is the state the row
 * reaches at the end of the replay anyway, so no row moves back meanwhile.
 */
async function refolded(store: EventStore, tx: Tx, id: string): Promise<CitizenChange> {
  const { events } = await store.readStream(`${CITIZEN_STREAM_PREFIX}${id}`, { tx });
  const mine = events.filter((e) => RECEIVED.has(e.type));
  return {
    citizen: mine.reduce((c, e) => evolveCitizen(c, e as unknown as ReceivedEvent), newCitizen(id)),
    changedAt: mine.at(-1)!.recordedAt,
  };
}

/** The batch applied to the rows as they are: the citizens whose state it changed. */
async function changesOf(tx: Tx, received: ReadonlyMap<string, RecordedEvent[]>): Promise<CitizenChange[]> {
  const rows = await tx.query<StateRow>(
    'SELECT citizen_id::text AS citizen_id, state FROM ds_citizens WHERE citizen_id = ANY($1::uuid[])',
    [[...received.keys()]],
  );
  const held = new Map(rows.map((r) => [r.citizen_id, r.state]));
  const changes: CitizenChange[] = [];
  for (const [id, list] of received) {
    const before = held.get(id) ?? newCitizen(id);
    const after = list.reduce((c, e) => evolveCitizen(c, e as unknown as ReceivedEvent), before);
    if (after !== before) changes.push({ citizen: after, changedAt: list.at(-1)!.recordedAt });
  }
  return changes;
}

/**
 * Folds the received events into `ds_citizens`; returns the citizens whose state changed. During a
 * full rebuild the rows stay in place (reads keep answering from them) and each citizen the replay
 * reaches is folded afresh from their stream.
 */
async function applyReceived(
  store: EventStore,
  tx: Tx,
  received: ReadonlyMap<string, RecordedEvent[]>,
  rebuilding: boolean,
): Promise<CitizenChange[]> {
  if (received.size === 0) return [];
  const changes: CitizenChange[] = [];
  if (!rebuilding) changes.push(...(await changesOf(tx, received)));
  else for (const id of received.keys()) changes.push(await refolded(store, tx, id));
  if (changes.length === 0) return changes;
  await tx.query(
    `INSERT INTO ds_citizens (citizen_id, state, personal_id, birth_md, changed_at)
     SELECT * FROM unnest($1::uuid[], $2::jsonb[], $3::text[], $4::smallint[], $5::timestamptz[])
     ON CONFLICT (citizen_id) DO UPDATE SET state = EXCLUDED.state, personal_id = EXCLUDED.personal_id,
       birth_md = EXCLUDED.birth_md, changed_at = EXCLUDED.changed_at`,
    [
      changes.map((c) => c.citizen.citizenId),
      changes.map((c) => JSON.stringify(c.citizen)),
      changes.map((c) => c.citizen.record?.personalId ?? null),
      changes.map((c) => (c.citizen.record ? birthMonthDay(c.citizen.record.birthDate) : null)),
      changes.map((c) => c.changedAt.toISOString()),
    ],
  );
  return changes;
}

/**
 * While a full rebuild replays the log, agency views are left alone (replaying old versions would
 * send them again); once the replay reaches the end, each agency's view is back-filled from the
 * rebuilt projection, and only real differences are published.
 */
async function finishRebuildIfCaughtUp(store: EventStore, tx: Tx, last: RecordedEvent): Promise<void> {
  const { events } = await store.readAll({
    after: { transactionId: last.transactionId, position: last.globalPosition },
    limit: 1,
    tx,
  });
  if (events.length > 0) return;
  await tx.query(`UPDATE ds_projection SET rebuilding = false WHERE projection = 'citizens'`);
  const agencies = await tx.query<{ agency: string }>('SELECT DISTINCT agency FROM ds_subscriptions');
  for (const { agency } of agencies) {
    const current = await currentSubscriptionOf(tx, agency);
    if (current && current.subscription.status !== 'requested') await startBackfill(tx, current);
  }
  tx.afterCommit(() => store.db.notify(BACKFILL_CHANNEL));
}
