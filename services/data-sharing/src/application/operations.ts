import type { EventStore } from '@cancuoc/eventstore';
import { CITIZEN_PROJECTION } from './citizen-projection.js';
import { rebuildProjections, type RebuildScope } from './rebuild.js';

export interface ProjectionStatus {
  readonly position: bigint;
  /** Events recorded and not yet applied. */
  readonly lag: bigint;
  readonly rebuilding: boolean;
  readonly citizens: bigint;
  readonly backfillsRunning: number;
  readonly queued: bigint;
}

/** What an operator watches and does: the projection's progress, back-fills, the delivery backlog. */
export class Operations {
  constructor(private readonly store: EventStore) {}

  async status(): Promise<ProjectionStatus> {
    const [row] = await this.store.db.query<{
      position: string;
      rebuilding: boolean;
      lag: string;
      citizens: string;
      backfills: string;
      queued: string;
    }>(
      `SELECT p.position::text AS position, p.rebuilding,
              (SELECT count(*) FROM es_events e, es_subscriptions s
                WHERE s.subscription_id = $1 AND (e.transaction_id, e.global_position) > (s.transaction_id, s.global_position))::text AS lag,
              (SELECT count(*) FROM ds_citizens)::text AS citizens,
              (SELECT count(*) FROM ds_backfills WHERE NOT done)::text AS backfills,
              (SELECT count(*) FROM ds_delivery_queue)::text AS queued
       FROM ds_projection p WHERE p.projection = 'citizens'`,
      [CITIZEN_PROJECTION],
    );
    return {
      position: BigInt(row!.position),
      lag: BigInt(row!.lag),
      rebuilding: row!.rebuilding,
      citizens: BigInt(row!.citizens),
      backfillsRunning: Number(row!.backfills),
      queued: BigInt(row!.queued),
    };
  }

  rebuild(scope: RebuildScope): Promise<number> {
    return rebuildProjections(this.store, scope);
  }
}
