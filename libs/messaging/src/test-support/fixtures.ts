import { create } from '@bufbuild/protobuf';
import type { Database, EventStore, RecordedEvent, Tx } from '@cancuoc/eventstore';
import { ChangeKind, CitizenRecordChangedSchema } from '@cancuoc/proto';
import type { CloudEvent } from '../cloudevents.js';
import type { IntegrationEvent } from '../relay.js';
import type { IncomingRecord, Transport } from '../transport.js';

export const TYPES = new Map([[CitizenRecordChangedSchema.typeName, CitizenRecordChangedSchema]]);
export const metadata = { actor: 'test:clerk' };

/** Maps the tests' domain event to the register's integration event on `topic`. */
export function citizenMapper(topic: string) {
  return (event: RecordedEvent): IntegrationEvent[] => {
    if (event.type === 'InternalNote') return [];
    const data = event.data as { familyName: string };
    return [
      {
        topic,
        schema: CitizenRecordChangedSchema,
        data: create(CitizenRecordChangedSchema, {
          citizenId: event.streamId,
          recordVersion: BigInt(event.streamVersion),
          changeKind: event.streamVersion === 1 ? ChangeKind.REGISTERED : ChangeKind.NAME_CHANGED,
          citizen: { familyName: data.familyName },
        }),
      },
    ];
  };
}

/** Appends `count` name changes spread over `citizens` streams; returns their event ids. */
export async function appendChanges(store: EventStore, count: number, citizens: number): Promise<string[]> {
  const ids: string[] = [];
  const perCall = 10;
  for (let i = 0; i < count; i += perCall) {
    const n = Math.min(perCall, count - i);
    const stream = `citizen-${(i / perCall) % citizens}`;
    const events = Array.from({ length: n }, (_, j) => ({
      type: 'NameChanged',
      data: { familyName: `N${i + j}` },
    }));
    const result = await store.appendToStream(stream, events, { metadata });
    ids.push(...result.events.map((e) => e.eventId));
  }
  return ids;
}

export async function createEffects(db: Database): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS msg_effects (
       subscriber text NOT NULL, event_id text NOT NULL, subject text NOT NULL, sequence int,
       times int NOT NULL DEFAULT 1, PRIMARY KEY (subscriber, event_id))`,
  );
}

/** An effect that would show if it ever happened twice: `times` counts its applications. */
export function recordEffect(subscriber: string) {
  return async (event: CloudEvent, tx: Tx, _record: IncomingRecord): Promise<void> => {
    await tx.query(
      `INSERT INTO msg_effects (subscriber, event_id, subject, sequence) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subscriber, event_id) DO UPDATE SET times = msg_effects.times + 1`,
      [subscriber, event.id, event.subject, event.sequence ?? null],
    );
  };
}

export async function effects(
  db: Database,
  subscriber: string,
): Promise<Array<{ event_id: string; subject: string; sequence: number; times: number }>> {
  return db.query(
    'SELECT event_id, subject, sequence, times FROM msg_effects WHERE subscriber = $1 ORDER BY event_id',
    [subscriber],
  );
}

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads every record of `topics` from the beginning with a fresh group until `until` holds. */
export async function readAll(
  transport: Transport,
  topics: readonly string[],
  until: (records: readonly IncomingRecord[]) => boolean,
  group = `reader-${Math.random().toString(36).slice(2)}`,
): Promise<IncomingRecord[]> {
  const records: IncomingRecord[] = [];
  const subscription = await transport.subscribe({
    group,
    topics,
    fromBeginning: true,
    handle: async (record) => void records.push(record),
  });
  try {
    await waitFor(`records on ${topics.join(', ')}`, () => until(records));
  } finally {
    await subscription.stop();
  }
  return records;
}
