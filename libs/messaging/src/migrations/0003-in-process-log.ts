import { Migration } from '@mikro-orm/migrations';

/**
 * The embedded default's event transport: a partitioned, durable log with consumer-group offsets,
 * kept in the process's own PostgreSQL (PGlite), so a restart loses no published record.
 */
export class InProcessLogSchema extends Migration {
  override name = '0003-in-process-log';

  override up(): void {
    this.addSql(`
      CREATE TABLE mq_topics (
        topic text PRIMARY KEY,
        partitions integer NOT NULL CHECK (partitions > 0),
        retention_ms bigint NOT NULL
      )`);
    this.addSql(`
      CREATE TABLE mq_partitions (
        topic text NOT NULL REFERENCES mq_topics (topic),
        partition integer NOT NULL,
        next_offset bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (topic, partition)
      )`);
    this.addSql(`
      CREATE TABLE mq_records (
        topic text NOT NULL,
        partition integer NOT NULL,
        record_offset bigint NOT NULL,
        record_key text NOT NULL,
        record_value bytea,
        headers jsonb NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topic, partition, record_offset)
      )`);
    this.addSql(`
      CREATE TABLE mq_group_offsets (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        PRIMARY KEY (group_id, topic, partition)
      )`);
  }
}
