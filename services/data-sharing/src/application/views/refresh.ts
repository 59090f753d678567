import type { Tx } from '@cancuoc/eventstore';
import type { CalendarDate } from '@cancuoc/identity';
import type { ProjectedCitizen } from '../../domain/citizen/projected-citizen.js';
import { disclose } from '../../domain/disclosure/disclose.js';
import type { DisclosureEncoder } from '../ports.js';
import type { SubscriptionRow } from '../subscription-rows.js';
import { hex, sameBytes, type Bytes } from './bytes.js';

export interface CitizenChange {
  readonly citizen: ProjectedCitizen;
  /** When the latest change to the citizen was recorded: the time the agency is told. */
  readonly changedAt: Date;
}

interface ViewRow {
  citizen_id: string;
  payload: Bytes;
  published: Bytes;
  generation: string;
}

interface Write {
  readonly citizenId: string;
  readonly payload: Bytes;
  readonly changedAt: Date;
}

async function existingViews(tx: Tx, agency: string, ids: readonly string[]): Promise<Map<string, ViewRow>> {
  const rows = await tx.query<ViewRow>(
    // A join on the ids, not `= ANY`: with the composite key and stale statistics the planner reads
    // every row of the agency for `= ANY`, which made back-fills quadratic.
    `SELECT v.citizen_id::text AS citizen_id, v.payload, v.published, v.generation::text AS generation
     FROM unnest($2::uuid[]) AS u(id) JOIN ds_agency_views v ON v.agency = $1 AND v.citizen_id = u.id`,
    [agency, ids],
  );
  return new Map(rows.map((r) => [r.citizen_id, r]));
}

async function writeViews(
  tx: Tx,
  agency: string,
  generation: bigint,
  position: bigint,
  writes: readonly Write[],
): Promise<void> {
  if (writes.length === 0) return;
  await tx.query(
    `INSERT INTO ds_agency_views (agency, citizen_id, generation, payload, position, changed_at)
     SELECT $1, u.id, $2::bigint, decode(u.payload, 'hex'), $3::bigint, u.changed_at
     FROM unnest($4::uuid[], $5::text[], $6::timestamptz[]) AS u(id, payload, changed_at)
     ORDER BY u.id
     ON CONFLICT (agency, citizen_id) DO UPDATE SET
       generation = EXCLUDED.generation, payload = EXCLUDED.payload,
       position = EXCLUDED.position, changed_at = EXCLUDED.changed_at`,
    [
      agency,
      generation.toString(),
      position.toString(),
      writes.map((w) => w.citizenId),
      writes.map((w) => hex(w.payload)),
      writes.map((w) => w.changedAt.toISOString()),
    ],
  );
}

async function dropViews(tx: Tx, agency: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    'DELETE FROM ds_agency_views v USING unnest($2::uuid[]) AS u(id) WHERE v.agency = $1 AND v.citizen_id = u.id',
    [agency, ids],
  );
}

/**
 * Marks citizens whose view the agency does not hold yet. A row already queued is touched, so
 * that a publisher which read it before this change cannot take it off the queue afterwards.
 */
export async function enqueue(tx: Tx, agency: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    `INSERT INTO ds_delivery_queue (agency, citizen_id)
     SELECT $1, u.id FROM unnest($2::uuid[]) AS u(id) ORDER BY u.id
     ON CONFLICT (agency, citizen_id) DO UPDATE SET touched = ds_delivery_queue.touched + 1`,
    [agency, ids],
  );
}

/**
 * Brings each subscription's view of `citizens` up to date, in the caller's transaction: the record
 * the agency should hold is re-derived (`disclose`) under the subscription's terms and generation,
 * and where it differs from what the agency holds the citizen is queued for delivery. Rows whose
 * payload and generation are unchanged are not written. Returns the rows written or dropped.
 */
export async function refreshViews(
  tx: Tx,
  encode: DisclosureEncoder,
  subscriptions: readonly SubscriptionRow[],
  citizens: readonly CitizenChange[],
  position: bigint,
  today: CalendarDate,
): Promise<number> {
  if (citizens.length === 0) return 0;
  const sorted = [...citizens].sort((a, b) => (a.citizen.citizenId < b.citizen.citizenId ? -1 : 1));
  const ids = sorted.map((c) => c.citizen.citizenId);
  let changed = 0;
  for (const { subscription, generation } of subscriptions) {
    const existing = await existingViews(tx, subscription.agency, ids);
    const writes: Write[] = [];
    const drops: string[] = [];
    const queued: string[] = [];
    for (const { citizen, changedAt } of sorted) {
      const disclosure = disclose(citizen, subscription.terms, today);
      const payload = disclosure ? encode(disclosure) : null;
      const held = existing.get(citizen.citizenId);
      if (!held) {
        if (payload === null) continue;
        writes.push({ citizenId: citizen.citizenId, payload, changedAt });
        queued.push(citizen.citizenId);
        continue;
      }
      if (BigInt(held.generation) === generation && sameBytes(held.payload, payload)) continue;
      if (payload === null && held.published === null) drops.push(citizen.citizenId);
      else writes.push({ citizenId: citizen.citizenId, payload, changedAt });
      if (!sameBytes(payload, held.published)) queued.push(citizen.citizenId);
    }
    await writeViews(tx, subscription.agency, generation, position, writes);
    await dropViews(tx, subscription.agency, drops);
    await enqueue(tx, subscription.agency, queued);
    changed += writes.length + drops.length;
  }
  return changed;
}

/**
 * Takes `ids` out of an agency's view: the ones it was never sent are dropped, the others get an
 * empty payload and are queued, so that the agency receives a tombstone for each.
 */
export async function withdrawViews(
  tx: Tx,
  agency: string,
  generation: bigint,
  position: bigint,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(
    `DELETE FROM ds_agency_views v USING unnest($2::uuid[]) AS u(id)
     WHERE v.agency = $1 AND v.citizen_id = u.id AND v.published IS NULL`,
    [agency, ids],
  );
  const kept = await tx.query<{ citizen_id: string }>(
    `UPDATE ds_agency_views v SET payload = NULL, generation = $3::bigint, position = $4::bigint, changed_at = now()
     FROM unnest($2::uuid[]) AS u(id) WHERE v.agency = $1 AND v.citizen_id = u.id
     RETURNING v.citizen_id::text AS citizen_id`,
    [agency, ids, generation.toString(), position.toString()],
  );
  await enqueue(
    tx,
    agency,
    kept.map((r) => r.citizen_id),
  );
}
