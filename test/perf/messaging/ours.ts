import {
  Database,
  EventStore,
  START,
  compareCheckpoints,
  type Checkpoint,
  type NewEvent,
} from '@cancuoc/eventstore';
import {
  IdempotentConsumer,
  KafkaTransport,
  Relay,
  type OutgoingRecord,
  type Transport,
} from '@cancuoc/messaging';
import { ACTOR, citizenEvent } from '../eventstore/payload.js';
import { SOURCE, TYPES, citizenMapper, recordsOf, summarise } from './payload.js';
import {
  rateOf,
  runAtRate,
  until,
  type Drain,
  type Filled,
  type Latency,
  type LatencySpec,
  type Prepared,
  type Throughput,
} from './workload.js';

const POOL_SIZE = 10;
/** Longest a relay may take to catch up, or the consumer to see every measured event. */
const TIMEOUT_MS = 600_000;
/** The consumer's effect: a row per event, stamped with the server's clock at the insert. */
const INSERT_EFFECT = 'INSERT INTO bench_effects (run, event_id, subject) VALUES ($1, $2, $3)';
/** Streams each latency run cycles over. */
const LATENCY_STREAMS = 1000;

/** Our libraries as a service wires them: event store, Relay to Kafka, idempotent consumer. */
export class Ours {
  private constructor(
    private readonly db: Database,
    private readonly store: EventStore,
    private readonly brokers: readonly string[],
    /** The relay's transport, kept for the whole run as a service keeps its producer. */
    private readonly transport: KafkaTransport,
  ) {}

  static async open(databaseUrl: string, brokers: readonly string[]): Promise<Ours> {
    const db = await Database.connect({ databaseUrl, poolSize: POOL_SIZE, applicationName: 'bench-ours' });
    const transport = new KafkaTransport({ brokers, clientId: 'bench-ours', idempotent: false });
    return new Ours(db, new EventStore(db), brokers, transport);
  }

  /** Appends `events` events, `eventsPerAppend` to a stream at a time, from `writers` writers at once. */
  async fill(events: number, eventsPerAppend: number, writers: number): Promise<Filled> {
    const appends = Math.ceil(events / eventsPerAppend);
    // Two appends per stream: its first events register the citizen, the next ones correct it.
    const streams = Math.ceil(appends / 2);
    let next = 0;
    const started = performance.now();
    const writer = async (): Promise<void> => {
      for (let a = next++; a < appends; a = next++) {
        const first = a * eventsPerAppend;
        const count = Math.min(eventsPerAppend, events - first);
        const batch: NewEvent[] = Array.from({ length: count }, (_, i) => citizenEvent(first + i));
        await this.store.appendToStream(`citizen-${(a % streams).toString().padStart(6, '0')}`, batch, {
          metadata: { actor: ACTOR },
        });
      }
    };
    await Promise.all(Array.from({ length: writers }, () => writer()));
    const ms = performance.now() - started;
    // Hint bits, visibility map and statistics as autovacuum would leave them after the writes.
    await this.db.query('VACUUM ANALYZE es_events');
    return { kind: 'filled', events, streams, ms };
  }

  /**
   * What a real Relay hands its transport for the whole log, captured rather than sent: the
   * fingerprint the raw baseline must match. Then warms the Kafka producer with the first records.
   */
  async prepare(topic: string, warmupRecords: number): Promise<Prepared> {
    const captured: OutgoingRecord[] = [];
    const capture: Transport = {
      kind: 'capture',
      publish: async (records) => void captured.push(...records),
      subscribe: () => Promise.reject(new Error('capture only')),
      endOffsets: () => Promise.reject(new Error('capture only')),
      committedOffsets: () => Promise.reject(new Error('capture only')),
      close: async () => undefined,
    };
    const last = await this.lastCheckpoint();
    const relay = new Relay({
      name: 'bench-capture',
      source: SOURCE,
      store: this.store,
      transport: capture,
      map: citizenMapper(topic),
      batchSize: 1000,
    });
    await relay.start();
    try {
      await until(
        'the capturing relay',
        () => compareCheckpoints(relay.status.checkpoint, last) >= 0,
        TIMEOUT_MS,
      );
    } finally {
      await relay.stop();
    }
    await this.transport.publish(captured.slice(0, warmupRecords));
    return summarise(captured);
  }

  /** A relay from the start of the log until its checkpoint is the last event's, publishing to Kafka. */
  async relayAll(tag: string, topic: string, batchSize: number): Promise<Throughput> {
    const last = await this.lastCheckpoint();
    const [{ events } = { events: '0' }] = await this.db.query<{ events: string }>(
      'SELECT count(*)::text AS events FROM es_events',
    );
    let failure: unknown;
    let batches = 0;
    const counted =
      (publish: (records: readonly OutgoingRecord[]) => Promise<void>) =>
      (records: readonly OutgoingRecord[]) => {
        batches += 1;
        return publish(records);
      };
    const counting: Transport = {
      kind: this.transport.kind,
      publish: counted((records) => this.transport.publish(records)),
      sequence: () => {
        const sequence = this.transport.sequence();
        return { publish: counted((records) => sequence.publish(records)) };
      },
      subscribe: (options) => this.transport.subscribe(options),
      endOffsets: (t) => this.transport.endOffsets(t),
      committedOffsets: (g, t) => this.transport.committedOffsets(g, t),
      close: () => this.transport.close(),
    };
    const relay = new Relay({
      name: `bench-${tag}`,
      source: SOURCE,
      store: this.store,
      transport: counting,
      map: citizenMapper(topic),
      batchSize,
      onError: (error) => (failure ??= error),
    });
    const cpu = process.cpuUsage();
    const started = performance.now();
    let ms: number;
    let cpuUs: number;
    await relay.start();
    try {
      await until(
        `relay ${tag} to reach the last event`,
        () => failure !== undefined || compareCheckpoints(relay.status.checkpoint, last) >= 0,
        TIMEOUT_MS,
        1,
      );
      ms = performance.now() - started;
      const { user, system } = process.cpuUsage(cpu);
      cpuUs = user + system;
    } finally {
      await relay.stop();
    }
    if (failure !== undefined) throw failure;
    if (relay.status.published !== Number(events)) {
      throw new Error(`relay ${tag} published ${relay.status.published} records of ${events} events`);
    }
    return { kind: 'throughput', ms, events: Number(events), batches, cpuUs };
  }

  /**
   * Appends at a fixed rate while a Relay publishes and an IdempotentConsumer applies each event
   * (inbox row and effect row in one transaction). Each event is timed from its append's commit
   * (`appendToStream` resolved) to its effect's commit (the consumer transaction's after-commit hook),
   * both on this process's clock.
   */
  async latency(spec: LatencySpec): Promise<Latency> {
    await this.createEffects();
    // The relay starts at the end of the log: only this run's events are published.
    const name = `bench-${spec.tag}`;
    const last = await this.lastCheckpoint();
    await this.db.query(
      `INSERT INTO es_subscriptions (subscription_id, transaction_id, global_position)
       VALUES ($1, $2::text::xid8, $3::bigint)`,
      [name, last.transactionId.toString(), last.position.toString()],
    );
    let failure: unknown;
    // When the relay's publish of each event was acknowledged, to split the latency into stages.
    const ackedAt = new Map<string, number>();
    let relayBatches = 0;
    let relayRecords = 0;
    const acknowledged =
      (publish: (records: readonly OutgoingRecord[]) => Promise<void>) =>
      async (records: readonly OutgoingRecord[]) => {
        relayBatches += 1;
        relayRecords += records.length;
        await publish(records);
        const now = performance.now();
        for (const r of records) ackedAt.set(r.headers['ce_id']!, now);
      };
    const timed: Transport = {
      kind: this.transport.kind,
      publish: acknowledged((records) => this.transport.publish(records)),
      sequence: () => {
        const sequence = this.transport.sequence();
        return { publish: acknowledged((records) => sequence.publish(records)) };
      },
      subscribe: (options) => this.transport.subscribe(options),
      endOffsets: (t) => this.transport.endOffsets(t),
      committedOffsets: (g, t) => this.transport.committedOffsets(g, t),
      close: () => this.transport.close(),
    };
    const relay = new Relay({
      name,
      source: SOURCE,
      store: this.store,
      transport: timed,
      map: citizenMapper(spec.topic),
      onError: (error) => (failure ??= error),
    });
    const consumerTransport = new KafkaTransport({
      brokers: this.brokers,
      clientId: 'bench-ours-consumer',
      idempotent: false,
      maxWaitTimeMs: spec.maxWaitMs,
    });
    const handledAt = new Map<string, number>();
    const effectAt = new Map<string, number>();
    const consumer = new IdempotentConsumer({
      subscriber: name,
      transport: consumerTransport,
      db: this.db,
      topics: [spec.topic],
      types: TYPES,
      handle: async (event, tx) => {
        handledAt.set(event.id, performance.now());
        await tx.query(INSERT_EFFECT, [spec.tag, event.id, event.subject]);
        tx.afterCommit(() => effectAt.set(event.id, performance.now()));
      },
      onError: (error) => (failure ??= error),
    });
    const appendedAt = new Map<string, number>();
    const append = async (n: number): Promise<string> => {
      const result = await this.store.appendToStream(
        `latency-${spec.tag}-${n % LATENCY_STREAMS}`,
        [citizenEvent(n)],
        { metadata: { actor: ACTOR } },
      );
      const id = result.events[0]!.eventId;
      appendedAt.set(id, performance.now());
      return id;
    };
    await relay.start();
    await consumer.start();
    try {
      const run = await runAtRate(
        spec,
        append,
        (id) => effectAt.has(id),
        () => failure,
      );
      if (consumer.stats.deadLettered > 0) throw new Error(`${consumer.stats.deadLettered} dead letters`);
      const sorted = (of: (id: string) => number) => run.ids.map(of).sort((a, b) => a - b);
      const samples = sorted((id) => effectAt.get(id)! - appendedAt.get(id)!);
      const stages = {
        'append → relay publish acknowledged': sorted((id) => ackedAt.get(id)! - appendedAt.get(id)!),
        'acknowledged → in the consumer’s handler': sorted((id) => handledAt.get(id)! - ackedAt.get(id)!),
        'handler → effect committed': sorted((id) => effectAt.get(id)! - handledAt.get(id)!),
      };
      const first = Math.min(...run.ids.map((id) => appendedAt.get(id)!));
      const last = Math.max(...run.ids.map((id) => effectAt.get(id)!));
      return {
        kind: 'latency',
        samples,
        stages,
        achievedRate: run.achievedRate,
        deliveredRate: (run.ids.length * 1000) / (last - first),
        eventsPerRelayBatch: relayRecords / relayBatches,
        cpuUs: run.cpuUs,
        ms: run.ms,
      };
    } finally {
      await consumer.stop();
      await relay.stop();
      await consumerTransport.close();
    }
  }

  /**
   * Publishes the first `events` events of the log to `topic`, then times an IdempotentConsumer
   * working through them, from its first effect (it has joined its group) to its last.
   */
  async drain(tag: string, topic: string, events: number): Promise<Drain> {
    const map = citizenMapper(topic);
    const records: OutgoingRecord[] = [];
    for (let after = START; records.length < events;) {
      const page = await this.store.readAll({ after, limit: Math.min(1000, events - records.length) });
      if (page.events.length === 0) break;
      for (const event of page.events) records.push(...recordsOf(event, map));
      after = page.checkpoint;
    }
    for (let i = 0; i < records.length; i += 1000) await this.transport.publish(records.slice(i, i + 1000));
    await this.createEffects();
    let failure: unknown;
    const effects: number[] = [];
    const consumerTransport = new KafkaTransport({
      brokers: this.brokers,
      clientId: 'bench-ours-consumer',
      idempotent: false,
    });
    const consumer = new IdempotentConsumer({
      subscriber: `bench-${tag}`,
      transport: consumerTransport,
      db: this.db,
      topics: [topic],
      types: TYPES,
      handle: async (event, tx) => {
        await tx.query(INSERT_EFFECT, [tag, event.id, event.subject]);
        tx.afterCommit(() => effects.push(performance.now()));
      },
      onError: (error) => (failure ??= error),
    });
    await consumer.start();
    try {
      await until(
        `${tag} to apply ${records.length} events`,
        () => failure !== undefined || effects.length >= records.length,
        TIMEOUT_MS,
        10,
      );
      if (failure !== undefined) throw failure;
    } finally {
      await consumer.stop();
      await consumerTransport.close();
    }
    return { kind: 'drain', rates: { ours: rateOf(effects) } };
  }

  private async createEffects(): Promise<void> {
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS bench_effects (
         run text NOT NULL, event_id text NOT NULL, subject text NOT NULL,
         effect_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, event_id))`,
    );
  }

  private async lastCheckpoint(): Promise<Checkpoint> {
    const [row] = await this.db.query<{ tx: string; pos: string }>(
      `SELECT transaction_id::text AS tx, global_position::text AS pos FROM es_events
       ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    return row ? { transactionId: BigInt(row.tx), position: BigInt(row.pos) } : START;
  }

  async close(): Promise<void> {
    await this.transport.close();
    await this.db.close();
  }
}
