import type { EventStore, SqlExecutor } from '@cancuoc/eventstore';
import { citizenDecider } from '../domain/citizen/decider.js';
import type { CitizenEvent } from '../domain/citizen/events.js';
import type { RelativeFacts } from '../domain/citizen/family-rules.js';
import type { CitizenState } from '../domain/citizen/state.js';

/** The schema version of every citizen event so far; another one is read through the store's upcasters. */
const CURRENT_SCHEMA = 1;

/** The facts of one record's state, for the family rules. */
export function factsOf(state: CitizenState): RelativeFacts | undefined {
  if (state.status === 'unregistered') return undefined;
  return { deceased: state.status === 'deceased', record: state.record };
}

/**
 * What the register holds now of the records `citizenIds`, read from their event streams (never the
 * read model, which may lag behind a record registered a moment ago) in one statement, in the
 * caller's transaction when given. Ids of no record are absent from the result.
 */
export async function loadRelatives(
  store: EventStore,
  citizenIds: Iterable<string>,
  tx?: SqlExecutor,
): Promise<Map<string, RelativeFacts>> {
  const ids = [...new Set(citizenIds)];
  const found = new Map<string, RelativeFacts>();
  if (ids.length === 0) return found;
  const db = tx ?? store.db;
  const rows = await db.query<{
    stream_id: string;
    event_type: string;
    schema_version: number;
    data: unknown;
  }>(
    `SELECT stream_id, event_type, schema_version, data FROM es_events
      WHERE stream_id = ANY ($1::text[]) ORDER BY stream_id, stream_version`,
    [ids.map((id) => `citizen-${id}`)],
  );
  const byStream = new Map<string, typeof rows>();
  for (const row of rows) byStream.set(row.stream_id, [...(byStream.get(row.stream_id) ?? []), row]);
  for (const [streamId, events] of byStream) {
    const recorded = events.every((e) => e.schema_version === CURRENT_SCHEMA)
      ? events.map((e) => ({ type: e.event_type, data: e.data }) as CitizenEvent)
      : ((await store.readStream(streamId, tx ? { tx } : {})).events as unknown as CitizenEvent[]);
    const state = recorded.reduce(citizenDecider.evolve, citizenDecider.initialState());
    const facts = factsOf(state);
    if (facts) found.set(streamId.slice('citizen-'.length), facts);
  }
  return found;
}

/**
 * The records `citizenIds` name and their ancestors up to `generations` above them (parents at 1,
 * grandparents at 2), as far as the register records them: one statement per generation.
 */
export async function loadWithAncestors(
  store: EventStore,
  citizenIds: Iterable<string>,
  generations: number,
  tx?: SqlExecutor,
): Promise<Map<string, RelativeFacts>> {
  const all = new Map<string, RelativeFacts>();
  let next = [...citizenIds];
  for (let generation = 0; generation <= generations && next.length > 0; generation++) {
    const loaded = await loadRelatives(
      store,
      next.filter((id) => !all.has(id)),
      tx,
    );
    for (const [id, facts] of loaded) all.set(id, facts);
    next = [...loaded.values()]
      .flatMap((f) => [f.record.fatherCitizenId, f.record.motherCitizenId])
      .filter((id): id is string => id !== null);
  }
  return all;
}
