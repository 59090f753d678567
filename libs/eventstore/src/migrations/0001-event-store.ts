import { Migration } from '@mikro-orm/migrations';

/**
 * The event store schema. `es_events` is the log and, through the relay, the outbox (decision 4).
 * `es_streams` is updated on every append: spare room in its pages lets that update stay on the page
 * (a HOT update) instead of adding an index entry each time.
 * `transaction_id` defaults to the writer's own transaction id: with `global_position` it orders the
 * log so that a reader never passes an event whose transaction has not committed yet (decision 2).
 */
export class EventStoreSchema extends Migration {
  override name = '0001-event-store';

  override up(): void {
    this.addSql(`
      CREATE TABLE es_streams (
        stream_id text PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      ) WITH (fillfactor = 80)`);
    this.addSql(`
      CREATE TABLE es_events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id uuid NOT NULL UNIQUE,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        event_type text NOT NULL,
        schema_version integer NOT NULL DEFAULT 1,
        data jsonb NOT NULL,
        correlation_id uuid NOT NULL,
        causation_id uuid,
        actor text NOT NULL,
        traceparent text,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (stream_id, stream_version)
      )`);
    this.addSql('CREATE INDEX es_events_global_order ON es_events (transaction_id, global_position)');
    this.addSql(`
      CREATE TABLE es_subscriptions (
        subscription_id text PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT '0',
        global_position bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    this.addSql(`
      CREATE TABLE es_snapshots (
        stream_id text PRIMARY KEY,
        stream_version integer NOT NULL,
        snapshot_type text NOT NULL,
        schema_version integer NOT NULL,
        state jsonb NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      )`);
  }
}
