import { Migration } from '@mikro-orm/migrations';

/**
 * The inbox of the idempotent consumer: one row per (subscriber, event) it has taken effect for,
 * written in the same transaction as the effect, so a redelivered event is recognised and skipped.
 */
export class MessagingInboxSchema extends Migration {
  override name = '0002-messaging-inbox';

  override up(): void {
    this.addSql(`
      CREATE TABLE msg_inbox (
        subscriber text NOT NULL,
        event_id text NOT NULL,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscriber, event_id)
      )`);
    this.addSql('CREATE INDEX msg_inbox_processed_at ON msg_inbox (processed_at)');
  }
}
