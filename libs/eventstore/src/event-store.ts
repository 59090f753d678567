import type { Database, SqlExecutor, Tx } from './database.js';
import { InvalidEventStoreRequestError, WrongExpectedVersionError } from './errors.js';
import { assertEventId, completeMetadata, newEventId, type AppendMetadata } from './metadata.js';
import { appendEvents, currentStreamVersion } from './sql/append.js';
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
} from './types.js';
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

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    if (!streamId) throw new InvalidEventStoreRequestError('streamId is required');
    if (events.length === 0) throw new InvalidEventStoreRequestError(`no events to append to ${streamId}`);
    const expected = options.expectedVersion ?? 'any';
    if (typeof expected === 'number' && (!Number.isInteger(expected) || expected < 0)) {
      throw new InvalidEventStoreRequestError(`expected version ${expected} is not a stream version`);
    }
    const metadata = completeMetadata(options.metadata);
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

  /** Appends to several streams atomically: all of them, or none when one expectation fails. */
  async appendToStreams(
    appends: readonly StreamAppend[],
    options: Omit<AppendOptions, 'expectedVersion'>,
  ): Promise<AppendResult[]> {
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
