import { Migration } from '@mikro-orm/migrations';

/**
 * Data sharing's tables beside its event store, inbox and audit log. Every one is a projection of
 * the events in the store (received records, subscriptions) and can be rebuilt from them:
 * - `ds_citizens`: the internal citizen projection (record, cards, enrolments), kept by the
 *   `data-sharing-citizens` subscription; `ds_projection` holds its position (events applied).
 * - `ds_subscriptions`: each subscription as it stands, written in the transaction of its command,
 *   so a revocation holds for the next query. `generation` changes whenever what the agency may
 *   receive changes; at most one subscription per agency is not revoked.
 * - `ds_agency_views`: per agency and citizen, the record the agency should hold (`payload`, NULL
 *   when it should hold none) and the one it was last sent (`published`), both encoded
 *   `cancuoc.partner.v1.PartnerCitizen`; `ds_delivery_queue` names the rows where the two differ.
 * - `ds_backfills`: the re-projection of an agency's view after its terms changed, by cursor.
 */
export class DataSharingSchema extends Migration {
  override name = '0200-data-sharing';

  override up(): void {
    this.addSql(`
      CREATE TABLE ds_citizens (
        citizen_id uuid PRIMARY KEY,
        state jsonb NOT NULL,
        personal_id text,
        birth_md smallint,
        changed_at timestamptz NOT NULL
      )`);
    this.addSql('CREATE INDEX ds_citizens_personal_id ON ds_citizens (personal_id)');
    this.addSql('CREATE INDEX ds_citizens_birthday ON ds_citizens (birth_md, citizen_id)');
    this.addSql(`
      CREATE TABLE ds_projection (
        projection text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0,
        rebuilding boolean NOT NULL DEFAULT false,
        ages_swept_through date,
        age_sweep_day date,
        age_sweep_after uuid
      )`);
    this.addSql(`INSERT INTO ds_projection (projection) VALUES ('citizens')`);
    this.addSql('CREATE SEQUENCE ds_generations');
    this.addSql(`
      CREATE TABLE ds_subscriptions (
        subscription_id uuid PRIMARY KEY,
        agency text NOT NULL,
        status text NOT NULL,
        version integer NOT NULL,
        generation bigint NOT NULL,
        subscription jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    this.addSql(
      `CREATE UNIQUE INDEX ds_subscriptions_live_agency ON ds_subscriptions (agency) WHERE status <> 'revoked'`,
    );
    this.addSql('CREATE INDEX ds_subscriptions_agency ON ds_subscriptions (agency, updated_at)');
    this.addSql(`
      CREATE TABLE ds_agency_views (
        agency text NOT NULL,
        citizen_id uuid NOT NULL,
        generation bigint NOT NULL,
        payload bytea,
        published bytea,
        sequence integer NOT NULL DEFAULT 0,
        position bigint NOT NULL,
        changed_at timestamptz NOT NULL,
        PRIMARY KEY (agency, citizen_id)
      )`);
    this.addSql(`
      CREATE TABLE ds_delivery_queue (
        agency text NOT NULL,
        citizen_id uuid NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        touched integer NOT NULL DEFAULT 0,
        PRIMARY KEY (agency, citizen_id)
      )`);
    this.addSql('CREATE INDEX ds_delivery_queue_order ON ds_delivery_queue (agency, seq)');
    this.addSql(`
      CREATE TABLE ds_backfills (
        agency text PRIMARY KEY,
        subscription_id uuid NOT NULL,
        generation bigint NOT NULL,
        mode text NOT NULL,
        after_citizen uuid,
        processed bigint NOT NULL DEFAULT 0,
        total bigint NOT NULL,
        done boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz
      )`);
  }
}
