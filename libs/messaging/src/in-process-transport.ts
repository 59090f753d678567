import type { Database } from '@cancuoc/eventstore';
import { partitionFor } from './partitioner.js';
import {
  deliverInOrder,
  UnknownTopicError,
  type IncomingRecord,
  type OutgoingRecord,
  type SubscribeOptions,
  type Transport,
  type TransportSubscription,
} from './transport.js';

export interface InProcessTopic {
  readonly name: string;
  readonly partitions: number;
  /** Records older than this are deleted; `-1` keeps them. */
  readonly retentionMs: number;
}

export interface InProcessTransportOptions {
  /** Holds the log; migrated with `inProcessLogMigrations`. */
  readonly db: Database;
  readonly batchSize?: number;
  /**
   * Longest wait between reads when no publish wakes a consumer (1 s by default): a publish through
   * this transport wakes them, but a redrive of dead letters does not yet, and waits on this.
   */
  readonly pollIntervalMs?: number;
  /** Longest pause after a failed delivery; pauses grow from 50 ms up to this. */
  readonly maxBackoffMs?: number;
}

const PUBLISHED_CHANNEL = 'mq_published';
const PRUNE_EVERY_PUBLISHES = 1_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RecordRow {
  readonly offset_text: string;
  readonly record_key: string;
  readonly value_hex: string | null;
  readonly headers: Record<string, string>;
}

/**
 * The embedded default's transport: Kafka's model (topics of partitions, offsets, consumer groups)
 * on a log in the process's own database. Publishing commits the records before it resolves, and a
 * group's offsets are committed after its handler, so delivery is at-least-once across restarts,
 * exactly as with Kafka. Members of one group in this process take partitions first come, first
 * served; a partition has one member at a time.
 */
export class InProcessTransport implements Transport {
  readonly kind = 'in-process';
  private readonly partitionCounts = new Map<string, number>();
  /** Which subscription of a group holds each `group/topic/partition`. */
  private readonly claims = new Map<string, object>();
  private readonly subscriptions = new Set<InProcessSubscription>();
  private publishes = 0;
  /**
   * Each topic's partition end offsets as last read, and the generation they were read in. A
   * publish (announced by its notification) or a poll that timed out starts a new generation, so a
   * pass over a topic costs one query, plus one read per partition that has records to deliver,
   * instead of a read of every partition for every subscriber on every publish.
   */
  private generation = 0;
  private readonly ends = new Map<
    string,
    { generation: number; ends: Promise<ReadonlyMap<number, bigint>> }
  >();

  constructor(private readonly options: InProcessTransportOptions) {}

  get db(): Database {
    return this.options.db;
  }

  /** Creates topics that do not exist yet; an existing topic keeps its partitions. */
  async createTopics(topics: readonly InProcessTopic[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const t of topics) {
        await tx.query(
          `INSERT INTO mq_topics (topic, partitions, retention_ms) VALUES ($1, $2, $3)
           ON CONFLICT (topic) DO UPDATE SET retention_ms = EXCLUDED.retention_ms`,
          [t.name, t.partitions, t.retentionMs],
        );
        await tx.query(
          `INSERT INTO mq_partitions (topic, partition)
           SELECT $1, p FROM generate_series(0, (SELECT partitions FROM mq_topics WHERE topic = $1) - 1) p
           ON CONFLICT DO NOTHING`,
          [t.name],
        );
      }
    });
  }

  async partitions(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const [row] = await this.db.query<{ partitions: number }>(
      'SELECT partitions FROM mq_topics WHERE topic = $1',
      [topic],
    );
    if (!row) throw new UnknownTopicError(topic);
    this.partitionCounts.set(topic, row.partitions);
    return row.partitions;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const groups = new Map<string, { topic: string; partition: number; records: OutgoingRecord[] }>();
    for (const record of records) {
      const partition = partitionFor(record.key, await this.partitions(record.topic));
      const id = `${record.topic}\u0000${partition}`;
      const group = groups.get(id) ?? { topic: record.topic, partition, records: [] };
      group.records.push(record);
      groups.set(id, group);
    }
    await this.db.transaction(async (tx) => {
      for (const { topic, partition, records: list } of groups.values()) {
        const [head] = await tx.query<{ first: string }>(
          `UPDATE mq_partitions SET next_offset = next_offset + $3
           WHERE topic = $1 AND partition = $2 RETURNING (next_offset - $3)::text AS first`,
          [topic, partition, list.length],
        );
        if (!head) throw new UnknownTopicError(topic);
        await tx.query(
          `INSERT INTO mq_records (topic, partition, record_offset, record_key, record_value, headers)
           SELECT $1, $2, $3::bigint + r.ordinality - 1, r.k, decode(r.v, 'hex'), r.h::jsonb
           FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS r(k, v, h, ordinality)`,
          [
            topic,
            partition,
            head.first,
            list.map((r) => r.key),
            list.map((r) => (r.value === null ? null : Buffer.from(r.value).toString('hex'))),
            list.map((r) => JSON.stringify(r.headers)),
          ],
        );
      }
      tx.afterCommit(() => this.db.notify(PUBLISHED_CHANNEL));
    });
    this.publishes += 1;
    if (this.publishes % PRUNE_EVERY_PUBLISHES === 0) await this.prune();
  }

  /** Deletes records past their topic's retention. */
  async prune(): Promise<void> {
    await this.db.query(
      `DELETE FROM mq_records r USING mq_topics t
       WHERE r.topic = t.topic AND t.retention_ms >= 0
         AND r.published_at < now() - t.retention_ms * interval '1 millisecond'`,
    );
  }

  async subscribe(options: SubscribeOptions): Promise<TransportSubscription> {
    for (const topic of options.topics) await this.partitions(topic);
    const subscription = new InProcessSubscription(this, options, this.options);
    this.subscriptions.add(subscription);
    await subscription.start();
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  /** Claims `group/topic/partition` for `owner` unless another member of the group holds it. */
  claim(key: string, owner: object): boolean {
    const holder = this.claims.get(key);
    if (holder && holder !== owner) return false;
    this.claims.set(key, owner);
    return true;
  }

  release(owner: object): void {
    for (const [key, holder] of this.claims) if (holder === owner) this.claims.delete(key);
  }

  /** Marks every topic's cached end offsets stale: something may have been published since. */
  invalidateEnds(): void {
    this.generation += 1;
  }

  /**
   * The end offsets of `topic` as of the current generation, read once per generation however many
   * subscribers ask; a failed read is not kept.
   */
  latestEnds(topic: string): Promise<ReadonlyMap<number, bigint>> {
    const cached = this.ends.get(topic);
    if (cached && cached.generation === this.generation) return cached.ends;
    const ends = this.endOffsets(topic);
    const entry = { generation: this.generation, ends };
    this.ends.set(topic, entry);
    ends.catch(() => {
      if (this.ends.get(topic) === entry) this.ends.delete(topic);
    });
    return ends;
  }

  async endOffsets(topic: string): Promise<ReadonlyMap<number, bigint>> {
    await this.partitions(topic);
    const rows = await this.db.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset::text AS next_offset FROM mq_partitions WHERE topic = $1',
      [topic],
    );
    return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
  }

  async committedOffsets(group: string, topic: string): Promise<ReadonlyMap<number, bigint>> {
    const rows = await this.db.query<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset::text AS next_offset FROM mq_group_offsets
       WHERE group_id = $1 AND topic = $2`,
      [group, topic],
    );
    return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
  }

  /** Reads up to `limit` records of one partition from `offset` on. */
  async read(topic: string, partition: number, offset: bigint, limit: number): Promise<IncomingRecord[]> {
    const rows = await this.db.query<RecordRow>(
      `SELECT record_offset::text AS offset_text, record_key, encode(record_value, 'hex') AS value_hex, headers
       FROM mq_records WHERE topic = $1 AND partition = $2 AND record_offset >= $3::bigint
       ORDER BY record_offset LIMIT $4`,
      [topic, partition, offset.toString(), limit],
    );
    return rows.map((row) => ({
      topic,
      partition,
      offset: BigInt(row.offset_text),
      key: row.record_key,
      value: row.value_hex === null ? null : new Uint8Array(Buffer.from(row.value_hex, 'hex')),
      headers: row.headers,
    }));
  }

  /** The group's next offset in a partition; a group new to it starts at the beginning or the end. */
  async position(group: string, topic: string, partition: number, fromBeginning: boolean): Promise<bigint> {
    const [row] = await this.db.query<{ next_offset: string }>(
      `INSERT INTO mq_group_offsets (group_id, topic, partition, next_offset)
       SELECT $1, $2, $3, CASE WHEN $4::boolean THEN 0 ELSE p.next_offset END
       FROM mq_partitions p WHERE p.topic = $2 AND p.partition = $3
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = mq_group_offsets.next_offset
       RETURNING next_offset::text AS next_offset`,
      [group, topic, partition, fromBeginning],
    );
    if (!row) throw new UnknownTopicError(topic);
    return BigInt(row.next_offset);
  }

  async commit(group: string, topic: string, partition: number, next: bigint): Promise<void> {
    await this.db.query(
      `UPDATE mq_group_offsets SET next_offset = GREATEST(next_offset, $4::bigint)
       WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [group, topic, partition, next.toString()],
    );
  }

  listen(onPublish: () => void): Promise<() => Promise<void>> {
    return this.db.listen(PUBLISHED_CHANNEL, onPublish);
  }
}

class InProcessSubscription {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private published = false;
  private readonly positions = new Map<string, bigint>();

  constructor(
    private readonly transport: InProcessTransport,
    private readonly options: SubscribeOptions,
    private readonly settings: InProcessTransportOptions,
  ) {}

  async start(): Promise<void> {
    const unlisten = await this.transport.listen(() => {
      this.transport.invalidateEnds();
      this.published = true;
      this.wake?.();
    });
    this.running = this.loop().finally(() => {
      this.transport.release(this);
      return unlisten();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.published = false;
      let delivered = 0;
      try {
        delivered = await this.pass();
        failures = 0;
      } catch (error) {
        this.options.onError?.(error);
        failures += 1;
        await sleep(Math.min(50 * 2 ** (failures - 1), this.settings.maxBackoffMs ?? 5_000));
        continue;
      }
      if (delivered > 0 || this.published) {
        // PGlite answers without real I/O, so a busy loop of its promises would starve the event
        // loop's timers and sockets: let them run between passes.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          // No notification came: look again at what is in the log, in case one was lost.
          this.transport.invalidateEnds();
          resolve();
        }, this.settings.pollIntervalMs ?? 1_000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One read of every claimed partition; returns how many records were consumed. */
  private async pass(): Promise<number> {
    const { group, topics } = this.options;
    let delivered = 0;
    for (const topic of topics) {
      const partitions = await this.transport.partitions(topic);
      const ends = await this.transport.latestEnds(topic);
      for (let partition = 0; partition < partitions && !this.stopping; partition++) {
        const key = `${group}\u0000${topic}\u0000${partition}`;
        if (!this.transport.claim(key, this)) continue;
        let next = this.positions.get(key);
        if (next === undefined) {
          next = await this.transport.position(group, topic, partition, this.options.fromBeginning ?? true);
          this.positions.set(key, next);
        }
        // Nothing past this member's position as of the last look at the log: no read needed.
        const end = ends.get(partition);
        if (end !== undefined && end <= next) continue;
        delivered += await this.consume(key, topic, partition, next);
      }
    }
    return delivered;
  }

  private async consume(key: string, topic: string, partition: number, start: bigint): Promise<number> {
    const { group } = this.options;
    let next = start;
    const records = await this.transport.read(topic, partition, next, this.settings.batchSize ?? 500);
    try {
      await deliverInOrder(
        this.options,
        records,
        { heartbeat: async () => undefined },
        (last) => (next = last.offset + 1n),
        () => !this.stopping,
      );
    } finally {
      if (next !== start) {
        await this.transport.commit(group, topic, partition, next);
        this.positions.set(key, next);
      }
    }
    return Number(next - start);
  }
}
