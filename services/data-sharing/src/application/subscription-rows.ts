import type { SqlExecutor } from '@cancuoc/eventstore';
import { deliversKafka } from '../domain/subscription/terms.js';
import type { Subscription } from '../domain/subscription/state.js';

/** A subscription as `ds_subscriptions` holds it. */
export interface SubscriptionRow {
  readonly subscription: Subscription;
  readonly version: number;
  /** Changes whenever what the agency may receive changes; views are built under one. */
  readonly generation: bigint;
}

interface Raw {
  subscription: Subscription;
  version: number;
  generation: string;
}

const COLUMNS = 'subscription, version, generation::text AS generation';
const row = (r: Raw): SubscriptionRow => ({
  subscription: r.subscription,
  version: r.version,
  generation: BigInt(r.generation),
});

export async function subscriptionRow(
  db: SqlExecutor,
  subscriptionId: string,
): Promise<SubscriptionRow | undefined> {
  const [r] = await db.query<Raw>(`SELECT ${COLUMNS} FROM ds_subscriptions WHERE subscription_id = $1`, [
    subscriptionId,
  ]);
  return r && row(r);
}

export async function subscriptionRows(db: SqlExecutor, agency?: string): Promise<SubscriptionRow[]> {
  const rows = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM ds_subscriptions WHERE $1::text IS NULL OR agency = $1 ORDER BY agency, updated_at`,
    [agency ?? null],
  );
  return rows.map(row);
}

/**
 * The subscriptions whose agency views are kept up to date: approved or suspended (a suspended
 * agency receives nothing, but its view stays current so that resuming sends only what changed),
 * delivering over Kafka.
 */
export async function viewSubscriptions(db: SqlExecutor): Promise<SubscriptionRow[]> {
  const rows = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM ds_subscriptions WHERE status IN ('approved', 'suspended') ORDER BY agency`,
  );
  return rows.map(row).filter((r) => deliversKafka(r.subscription.terms.delivery));
}

/** The subscription an agency's topics answer to: its live one, else the one revoked last. */
export async function currentSubscriptionOf(
  db: SqlExecutor,
  agency: string,
): Promise<SubscriptionRow | undefined> {
  const [r] = await db.query<Raw>(
    `SELECT ${COLUMNS} FROM ds_subscriptions WHERE agency = $1
     ORDER BY (status <> 'revoked') DESC, updated_at DESC LIMIT 1`,
    [agency],
  );
  return r && row(r);
}
