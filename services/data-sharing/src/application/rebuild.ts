import type { EventStore, Tx } from '@cancuoc/eventstore';
import { subscriptionDecider } from '../domain/subscription/decider.js';
import { SUBSCRIPTION_STREAM_PREFIX, type SubscriptionEvent } from '../domain/subscription/events.js';
import type { Subscription } from '../domain/subscription/state.js';
import { BACKFILL_CHANNEL, CITIZEN_PROJECTION, PROJECTED_CHANNEL } from './citizen-projection.js';
import { lockViews } from './locks.js';
import { currentSubscriptionOf } from './subscription-rows.js';
import { startBackfill } from './views/backfills.js';

export type RebuildScope = 'views' | 'all';

/** Starts a back-fill of every agency's view; returns how many. */
async function backfillEveryAgency(tx: Tx): Promise<number> {
  const agencies = await tx.query<{ agency: string }>(
    'SELECT DISTINCT agency FROM ds_subscriptions ORDER BY 1',
  );
  let started = 0;
  for (const { agency } of agencies) {
    const current = await currentSubscriptionOf(tx, agency);
    if (!current || current.subscription.status === 'requested') continue;
    await startBackfill(tx, current);
    started += 1;
  }
  return started;
}

/** `ds_subscriptions` again from the subscriptions' streams (generations kept: they are not events). */
async function rebuildSubscriptions(store: EventStore, tx: Tx): Promise<void> {
  const streams = await tx.query<{ stream_id: string }>(
    `SELECT stream_id FROM es_streams WHERE stream_id LIKE $1 ORDER BY stream_id`,
    [`${SUBSCRIPTION_STREAM_PREFIX}%`],
  );
  for (const { stream_id } of streams) {
    const { events, streamVersion } = await store.readStream(stream_id, { tx });
    const state = events.reduce(
      (s, e) => subscriptionDecider.evolve(s, e as unknown as SubscriptionEvent),
      subscriptionDecider.initialState(),
    ) as Subscription;
    await tx.query(
      `INSERT INTO ds_subscriptions (subscription_id, agency, status, version, generation, subscription)
       VALUES ($1, $2, $3, $4, nextval('ds_generations'), $5::jsonb)
       ON CONFLICT (subscription_id) DO UPDATE SET agency = EXCLUDED.agency, status = EXCLUDED.status,
         version = EXCLUDED.version, subscription = EXCLUDED.subscription`,
      [state.subscriptionId, state.agency, state.status, streamVersion, JSON.stringify(state)],
    );
  }
}

/**
 * Rebuilds projections from the events data sharing recorded. `views`: every agency's view is
 * back-filled from the citizen projection; only differences reach the agencies. `all`: the
 * subscriptions' rows are re-derived from their streams, the citizen projection's checkpoint and
 * position are reset, so it replays the log from the first event into the same rows (reads keep
 * answering from them; each citizen reached is folded afresh from their stream, which repairs a
 * damaged row; agency views are left alone meanwhile), and once it has caught up every view is
 * back-filled.
 */
export async function rebuildProjections(store: EventStore, scope: RebuildScope): Promise<number> {
  const started = await store.transaction(async (tx) => {
    await lockViews(tx);
    if (scope === 'views') return backfillEveryAgency(tx);
    await rebuildSubscriptions(store, tx);
    const [any] = await tx.query('SELECT 1 FROM es_events LIMIT 1');
    await tx.query(
      `UPDATE es_subscriptions SET transaction_id = '0'::xid8, global_position = 0, updated_at = now()
       WHERE subscription_id = $1`,
      [CITIZEN_PROJECTION],
    );
    await tx.query(`UPDATE ds_projection SET position = 0, rebuilding = $1 WHERE projection = 'citizens'`, [
      any !== undefined,
    ]);
    return any === undefined ? backfillEveryAgency(tx) : 0;
  });
  store.db.notify(PROJECTED_CHANNEL);
  store.db.notify(BACKFILL_CHANNEL);
  return started;
}
