import type { Database, SqlExecutor, Tx } from './database.js';
import { InvalidEventStoreRequestError, WrongExpectedVersionError } from './errors.js';
import { assertEventId, completeMetadata, newEventId, type AppendMetadata } from './metadata.js';
import { appendEvents, currentStreamVersion } from './sql/append.js';
import { appendNewStreams } from './sql/append-new-streams.js';
import { metadataOf, type EventRow } from './sql/columns.js';
import { readAllRows } from './sql/read-all.js';
import { readStreamRows } from './sql/read-stream.js';
import {
  START,
  checkpointOf,
  type AppendResult,
  type Checkpoint,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type RecordedEventRef,
} from './types.js';
import { tracedAppend } from './telemetry.js';
import { Upcasters } from './upcasting.js';

export interface AppendOptions {
  readonly expectedVersion?: ExpectedVersion;
  readonly metadata: AppendMetadata;
  /** Append inside this transaction instead of on its own. */
  readonly tx?: Tx;
}

export interface StreamAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expectedVersion?: ExpectedVersion;
}

export interface ReadStreamOptions {
  /** First stream version to return (1-based). */
  readonly fromVersion?: number;
  readonly maxCount?: number;
  readonly tx?: SqlExecutor;
}

export interface ReadStreamResult<E extends RecordedEvent = RecordedEvent> {
  readonly events: E[];
  /** The stream's version: that of its last event, or 0 when it has none. */
  readonly streamVersion: number;
}

export interface ReadAllOptions {
  readonly after?: Checkpoint;
  readonly limit?: number;
  readonly tx?: SqlExecutor;
}

export interface ReadAllResult {
  readonly events: RecordedEvent[];
  /** Where the next read should start: the last event returned, or `after` when there was none. */
  readonly checkpoint: Checkpoint;
}

export interface EventStoreOptions {
  readonly upcasters?: Upcasters;
}

const MAX_READ = 100_000;

/** The channel on which appends wake subscriptions. */
export const APPENDED_CHANNEL = 'es_appended';

/** The metadata to record: the caller's traceparent if it gave one, else the append span's. */
function withTraceparent(metadata: AppendMetadata, traceparent: string | undefined): AppendMetadata {
  return metadata.traceparent || !traceparent ? metadata : { ...metadata, traceparent };
}

/** Whether every append creates its stream, each stream once: then one statement writes them all. */
function createsStreamsOnly(appends: readonly StreamAppend[]): boolean {
  const ids = new Set<string>();
  for (const a of appends) {
    if (a.expectedVersion !== 'no_stream' && a.expectedVersion !== 0) return false;
    ids.add(a.streamId);
  }
  return ids.size === appends.length;
}

function isUniqueViolation(error: unknown): error is { code: string; constraint?: string; detail?: string } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/**
 * The event store of one service. Streams are aggregates; the log of all streams, read in committed
 * order, feeds projections and the relay to Kafka.
 */
export class EventStore {
  private readonly upcasters: Upcasters;

  constructor(
    readonly db: Database,
    options: EventStoreOptions = {},
  ) {
    this.upcasters = options.upcasters ?? new Upcasters();
  }

  private readonly wakeSubscribers = () => this.db.notify(APPENDED_CHANNEL);

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Appends `events` to one stream. When the caller's metadata has no `traceparent`, the events
   * record the append's span, so that whoever consumes them continues the trace.
   */
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    return tracedAppend('appendToStream', [streamId], [events.length], (traceparent) =>
      this.append(streamId, events, withTraceparent(options.metadata, traceparent), options),
    );
  }

  private async append(
    streamId: string,
    events: readonly NewEvent[],
    appendMetadata: AppendMetadata,
    options: Omit<AppendOptions, 'metadata'>,
  ): Promise<AppendResult> {
    if (!streamId) throw new InvalidEventStoreRequestError('streamId is required');
    if (events.length === 0) throw new InvalidEventStoreRequestError(`no events to append to ${streamId}`);
    const expected = options.expectedVersion ?? 'any';
    if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
      throw new InvalidEventStoreRequestError(`expected version ${expected} is not a stream version`);
    }
    const metadata = completeMetadata(appendMetadata);
    const eventIds = events.map((e) => (e.eventId ? assertEventId(e.eventId) : newEventId()));
    const executor: SqlExecutor = options.tx ?? this.db;
    let rows;
    try {
      rows = await appendEvents(executor, {
        streamId,
        expected,
        eventIds,
        types: events.map((e) => e.type),
        schemaVersions: events.map((e) => e.schemaVersion ?? 1),
        data: events.map((e) => JSON.stringify(e.data ?? null)),
        ...metadata,
      });
    } catch (error) {
      if (isUniqueViolation(error) && error.constraint === 'es_events_event_id_key') {
        throw new InvalidEventStoreRequestError(`an event id in this append is already recorded`);
      }
      throw error;
    }
    if (rows.length === 0) {
      throw new WrongExpectedVersionError(streamId, expected, await currentStreamVersion(executor, streamId));
    }
    if (options.tx) options.tx.afterCommit(this.wakeSubscribers);
    else this.wakeSubscribers();
    const refs = rows
      .map((r) => ({
        eventId: r.event_id,
        streamVersion: r.stream_version,
        globalPosition: BigInt(r.global_position),
      }))
      .sort((a, b) => a.streamVersion - b.streamVersion);
    return { streamId, nextExpectedVersion: refs[refs.length - 1]!.streamVersion, events: refs };
  }

  /**
   * Appends to several streams atomically: all of them, or none when one expectation fails. When
   * every append creates a stream (`no_stream`), as a bulk import does, they are written in one
   * statement however many there are; otherwise one statement per stream, in the order given.
   */
  async appendToStreams(
    appends: readonly StreamAppend[],
    options: Omit<AppendOptions, 'expectedVersion'>,
  ): Promise<AppendResult[]> {
    const bulk = appends.length > 1 && createsStreamsOnly(appends);
    return tracedAppend(
      'appendToStreams',
      appends.map((a) => a.streamId),
      appends.map((a) => a.events.length),
      (traceparent) =>
        this.appendAll(
          appends,
          { ...options, metadata: withTraceparent(options.metadata, traceparent) },
          bulk,
        ),
      bulk,
    );
  }

  private async appendAll(
    appends: readonly StreamAppend[],
    options: Omit<AppendOptions, 'expectedVersion'>,
    bulk: boolean,
  ): Promise<AppendResult[]> {
    if (bulk) {
      return options.tx
        ? this.appendNewStreams(appends, options.metadata, options.tx)
        : this.db.transaction((tx) => this.appendNewStreams(appends, options.metadata, tx));
    }
    const appendAll = async (tx: Tx) => {
      const results: AppendResult[] = [];
      for (const a of appends) {
        results.push(
          await this.appendToStream(a.streamId, a.events, {
            metadata: options.metadata,
            expectedVersion: a.expectedVersion ?? 'any',
            tx,
          }),
        );
      }
      return results;
    };
    return options.tx ? appendAll(options.tx) : this.db.transaction(appendAll);
  }

  private async appendNewStreams(
    appends: readonly StreamAppend[],
    appendMetadata: AppendMetadata,
    tx: Tx,
  ): Promise<AppendResult[]> {
    const metadata = completeMetadata(appendMetadata);
    const p = {
      streamIds: [] as string[],
      versions: [] as number[],
      eventIds: [] as string[],
      eventStreamIds: [] as string[],
      streamVersions: [] as number[],
      types: [] as string[],
      schemaVersions: [] as number[],
      data: [] as unknown[],
    };
    for (const a of appends) {
      if (!a.streamId) throw new InvalidEventStoreRequestError('streamId is required');
      if (a.events.length === 0)
        throw new InvalidEventStoreRequestError(`no events to append to ${a.streamId}`);
      p.streamIds.push(a.streamId);
      p.versions.push(a.events.length);
      a.events.forEach((e, i) => {
        p.eventIds.push(e.eventId ? assertEventId(e.eventId) : newEventId());
        p.eventStreamIds.push(a.streamId);
        p.streamVersions.push(i + 1);
        p.types.push(e.type);
        p.schemaVersions.push(e.schemaVersion ?? 1);
        p.data.push(e.data ?? null);
      });
    }
    let rows;
    try {
      rows = await appendNewStreams(tx, { ...p, data: JSON.stringify(p.data), ...metadata });
    } catch (error) {
      if (isUniqueViolation(error) && error.constraint === 'es_events_event_id_key') {
        throw new InvalidEventStoreRequestError(`an event id in this append is already recorded`);
      }
      throw error;
    }
    const byStream = new Map<string, RecordedEventRef[]>();
    for (const r of rows) {
      const refs = byStream.get(r.stream_id) ?? [];
      refs.push({
        eventId: r.event_id,
        streamVersion: r.stream_version,
        globalPosition: BigInt(r.global_position),
      });
      byStream.set(r.stream_id, refs);
    }
    const taken = appends.find((a) => !byStream.has(a.streamId));
    if (taken) {
      // The caller's transaction, or ours, rolls back the streams this statement did create.
      throw new WrongExpectedVersionError(
        taken.streamId,
        taken.expectedVersion ?? 'no_stream',
        await currentStreamVersion(tx, taken.streamId),
      );
    }
    tx.afterCommit(this.wakeSubscribers);
    return appends.map((a) => {
      const refs = byStream.get(a.streamId)!.sort((x, y) => x.streamVersion - y.streamVersion);
      return { streamId: a.streamId, nextExpectedVersion: refs.length, events: refs };
    });
  }

  async readStream<E extends RecordedEvent = RecordedEvent>(
    streamId: string,
    options: ReadStreamOptions = {},
  ): Promise<ReadStreamResult<E>> {
    const fromVersion = options.fromVersion ?? 1;
    const maxCount = options.maxCount ?? MAX_READ;
    const executor = options.tx ?? this.db;
    const rows = await readStreamRows(executor, streamId, fromVersion, maxCount);
    const events = rows.map((r) => this.decode(r) as E);
    const last = events[events.length - 1];
    const streamVersion =
      last && events.length < maxCount ? last.streamVersion : await currentStreamVersion(executor, streamId);
    return { events, streamVersion };
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = options.after ?? START;
    const limit = Math.min(options.limit ?? 1000, MAX_READ);
    const rows = await readAllRows(options.tx ?? this.db, after, limit);
    const events = rows.map((r) => this.decode(r));
    const last = events[events.length - 1];
    return { events, checkpoint: last ? checkpointOf(last) : after };
  }

  private decode(row: EventRow): RecordedEvent {
    const { data, schemaVersion } = this.upcasters.upcast(row.event_type, row.schema_version, row.data);
    return {
      eventId: row.event_id,
      type: row.event_type,
      data,
      schemaVersion,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      globalPosition: BigInt(row.position_text),
      transactionId: BigInt(row.transaction_text),
      metadata: metadataOf(row),
      recordedAt: new Date(row.recorded_at),
    };
  }
}
