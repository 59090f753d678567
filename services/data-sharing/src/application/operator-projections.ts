import type { EventStore } from '@cancuoc/eventstore';
import { recordRebuild, subscriptionStatus, type OperationsProjection } from '@cancuoc/operations';
import { CITIZEN_PROJECTION } from './citizen-projection.js';
import type { Operations } from './operations.js';

const CITIZENS = {
  name: CITIZEN_PROJECTION,
  description:
    'ds_citizens from the received events, then every agency view; a rebuild replays the log from the first event into the same rows (the position restarts at 0)',
};
const VIEWS = {
  name: 'data-sharing-views',
  description:
    "every agency's view, re-projected from ds_citizens by back-fills; lag: citizens whose latest view waits to be published",
};

/**
 * Data sharing's projections as the shared OperationsService lists and rebuilds them, over its own
 * rebuilds (`Operations`): the citizen projection (`all`) and the agencies' views (`views`).
 */
export function operatorProjections(
  store: EventStore,
  operations: Operations,
): readonly OperationsProjection[] {
  const citizens: OperationsProjection = {
    ...CITIZENS,
    status: () => subscriptionStatus(store.db, CITIZEN_PROJECTION, CITIZENS),
    rebuild: async (actor) => {
      await operations.rebuild('all');
      await recordRebuild(store.db, CITIZENS.name, actor);
      return citizens.status();
    },
  };
  const views: OperationsProjection = {
    ...VIEWS,
    status: async () => {
      const [s, at] = await Promise.all([
        operations.status(),
        subscriptionStatus(store.db, CITIZEN_PROJECTION, VIEWS),
      ]);
      return {
        ...VIEWS,
        position: at.position,
        lag: Number(s.queued),
        lagCapped: false,
        lagSeconds: 0,
        ...(s.backfillsRunning > 0 && {
          rebuild: { targetPosition: at.position, startedAt: await backfillsSince(store) },
        }),
      };
    },
    rebuild: async () => {
      await operations.rebuild('views');
      return views.status();
    },
  };
  return [citizens, views];
}

async function backfillsSince(store: EventStore): Promise<Date> {
  const [row] = await store.db.query<{ since: Date | string | null }>(
    'SELECT min(started_at) AS since FROM ds_backfills WHERE NOT done',
  );
  return row?.since ? new Date(row.since) : new Date();
}
