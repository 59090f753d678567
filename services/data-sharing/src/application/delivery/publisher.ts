import type { AuditLog, AuditRecord } from '@cancuoc/audit';
import {
  DEFAULT_SAFETY_POLL_MS,
  Follower,
  type Database,
  type FollowStep,
  type Leadership,
} from '@cancuoc/eventstore';
import type { OutgoingRecord, Transport } from '@cancuoc/messaging';
import type { CitizenField } from '../../domain/catalogue/fields.js';
import { DELIVERY_CHANNEL } from '../citizen-projection.js';
import type { DeliveryGate, Logger, PartnerTopics } from '../ports.js';
import { hex, sameBytes, type Bytes } from '../views/bytes.js';

/** One citizen's delivery to one agency, as the record builder needs it. */
export interface PendingDelivery {
  readonly agency: string;
  readonly citizenId: string;
  readonly previous: Bytes;
  readonly next: Bytes;
  readonly sequence: number;
  readonly position: bigint;
  readonly changedAt: Date;
}

export interface PublisherOptions {
  readonly db: Database;
  readonly transport: Transport;
  readonly gate: DeliveryGate;
  readonly topics: PartnerTopics;
  readonly audit: AuditLog;
  /** The Kafka records of one delivery (the partner contract). */
  readonly recordsOf: (delivery: PendingDelivery) => OutgoingRecord[];
  /** The catalogue fields an encoded record carries, for the audit log. */
  readonly fieldsOf: (payload: Uint8Array) => readonly CitizenField[];
  /** Citizens per agency per batch. */
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly logger?: Logger;
  readonly onError?: (error: unknown) => void;
}

interface QueuedRow {
  subscription_id: string;
  purpose: string;
  citizen_id: string;
  touched: number;
  present: boolean;
  payload: Bytes;
  published: Bytes;
  sequence: number;
  position: string;
  changed_at: Date | string;
}

const LEADERSHIP = 'data-sharing-delivery';

/**
 * Publishes each agency's view to its topics: for every queued citizen, the record it should hold
 * (or a tombstone) and the change. Per agency and batch, under the agency's delivery gate: the rows
 * the agency's current subscription allows are read with it in one statement — data only while it
 * is approved for Kafka and only of its current generation; tombstones unless it is suspended —
 * published, and, once acknowledged, marked sent and audited in one transaction. A
 * crash between acknowledgement and commit sends the batch again, with the same CloudEvents ids.
 * One instance leads; the others wait to take over.
 */
export class DeliveryPublisher {
  private readonly follower: Follower;
  private readonly batchSize: number;
  private leadership: Leadership | undefined;

  constructor(private readonly options: PublisherOptions) {
    this.batchSize = options.batchSize ?? 1_000;
    this.follower = new Follower({
      db: options.db,
      channel: DELIVERY_CHANNEL,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_SAFETY_POLL_MS,
      initialBackoffMs: 100,
      maxBackoffMs: 10_000,
      onError: options.onError,
      step: () => this.step(),
    });
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    await this.leadership?.release();
    this.leadership = undefined;
  }

  private async lead(): Promise<boolean> {
    if (this.leadership) return true;
    const leadership = await this.options.db.tryLead(LEADERSHIP);
    if (!leadership) return false;
    void leadership.lost.then(() => {
      if (this.leadership === leadership) this.leadership = undefined;
    });
    this.leadership = leadership;
    return true;
  }

  async step(): Promise<FollowStep> {
    if (!(await this.lead())) return 'idle';
    const agencies = await this.options.db.query<{ agency: string }>(
      'SELECT DISTINCT s.agency FROM ds_subscriptions s WHERE EXISTS (SELECT 1 FROM ds_delivery_queue q WHERE q.agency = s.agency) ORDER BY 1',
    );
    let read = 0;
    let full = false;
    for (const { agency } of agencies) {
      if (this.follower.stopping) break;
      if (!(await this.options.topics.ready(agency))) continue;
      const n = await this.options.gate.hold(agency, () => this.publishBatch(agency));
      read += n;
      full ||= n >= this.batchSize;
    }
    return read === 0 ? 'idle' : { read, full };
  }

  private async publishBatch(agency: string): Promise<number> {
    const { db } = this.options;
    // One statement, so one snapshot: the subscription that decides what may go and the rows it lets
    // go are read together. A change committed after it is waited for by the change (the gate).
    const rows = await db.query<QueuedRow>(
      `WITH answering AS (
         SELECT subscription_id::text AS subscription_id, status, generation,
                subscription->>'purpose' AS purpose,
                subscription->'terms'->>'delivery' IN ('kafka', 'kafka-and-grpc') AS kafka
         FROM ds_subscriptions WHERE agency = $1
         ORDER BY (status <> 'revoked') DESC, updated_at DESC LIMIT 1)
       SELECT q.citizen_id::text AS citizen_id, q.touched, v.citizen_id IS NOT NULL AS present,
              v.payload, v.published, coalesce(v.sequence, 0) AS sequence,
              coalesce(v.position, 0)::text AS position, v.changed_at,
              c.subscription_id, c.purpose
       FROM answering c
       JOIN ds_delivery_queue q ON q.agency = $1
       LEFT JOIN ds_agency_views v ON v.agency = q.agency AND v.citizen_id = q.citizen_id
       WHERE c.status <> 'suspended'
         AND (v.citizen_id IS NULL OR v.payload IS NULL OR v.payload IS NOT DISTINCT FROM v.published
              OR (c.status = 'approved' AND c.kafka AND v.generation = c.generation))
       ORDER BY q.seq LIMIT $2`,
      [agency, this.batchSize],
    );
    if (rows.length === 0) return 0;
    const deliveries: PendingDelivery[] = rows
      .filter((r) => r.present && !sameBytes(r.payload, r.published))
      .map((r) => ({
        agency,
        citizenId: r.citizen_id,
        previous: r.published,
        next: r.payload,
        sequence: r.sequence + 1,
        position: BigInt(r.position),
        changedAt: new Date(r.changed_at),
      }));
    await this.options.transport.publish(deliveries.flatMap(this.options.recordsOf));
    const audits: AuditRecord[] = deliveries
      .filter((d) => d.next !== null)
      .map((d) => ({
        actor: `agency:${agency}`,
        action: 'partner.delivery',
        purpose: rows[0]!.purpose,
        subjectId: d.citizenId,
        fields: [...this.options.fieldsOf(d.next!)],
        detail: {
          subscriptionId: rows[0]!.subscription_id,
          channel: 'kafka',
          sequence: d.sequence,
          position: d.position.toString(),
        },
      }));
    const ids = rows.map((r) => r.citizen_id).sort();
    await db.transaction(async (tx) => {
      // Row locks in one order (views, then queue, by citizen), as the projection takes them.
      await tx.query(
        `SELECT 1 FROM unnest($2::uuid[]) AS u(id) JOIN ds_agency_views v ON v.agency = $1 AND v.citizen_id = u.id
         ORDER BY v.citizen_id FOR UPDATE OF v`,
        [agency, ids],
      );
      if (deliveries.length > 0) {
        await tx.query(
          `UPDATE ds_agency_views v SET published = decode(u.sent, 'hex'), sequence = u.sequence
           FROM unnest($2::uuid[], $3::text[], $4::int[]) AS u(id, sent, sequence)
           WHERE v.agency = $1 AND v.citizen_id = u.id`,
          [
            agency,
            deliveries.map((d) => d.citizenId),
            deliveries.map((d) => hex(d.next)),
            deliveries.map((d) => d.sequence),
          ],
        );
      }
      await tx.query(
        `DELETE FROM ds_agency_views v USING unnest($2::uuid[]) AS u(id)
         WHERE v.agency = $1 AND v.citizen_id = u.id AND v.payload IS NULL AND v.published IS NULL`,
        [agency, ids],
      );
      await tx.query(
        `SELECT 1 FROM unnest($2::uuid[]) AS u(id) JOIN ds_delivery_queue q ON q.agency = $1 AND q.citizen_id = u.id
         ORDER BY q.citizen_id FOR UPDATE OF q`,
        [agency, ids],
      );
      // Off the queue only what is settled: a row touched since it was read, or whose view changed,
      // stays for the next batch.
      await tx.query(
        `DELETE FROM ds_delivery_queue q USING unnest($2::uuid[], $3::int[]) AS u(id, touched)
         WHERE q.agency = $1 AND q.citizen_id = u.id AND q.touched = u.touched
           AND NOT EXISTS (SELECT 1 FROM ds_agency_views v WHERE v.agency = q.agency
                           AND v.citizen_id = q.citizen_id AND v.payload IS DISTINCT FROM v.published)`,
        [agency, rows.map((r) => r.citizen_id), rows.map((r) => r.touched)],
      );
      await this.options.audit.recordMany(audits, tx);
    });
    if (deliveries.length > 0)
      this.options.logger?.info('partner.delivered', { agency, records: deliveries.length });
    return rows.length;
  }
}
