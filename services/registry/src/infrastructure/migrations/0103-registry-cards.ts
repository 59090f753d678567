import { Migration } from '@mikro-orm/migrations';

/**
 * The cards card production made for each citizen, as its `CardChanged` events report them: the
 * register shows a citizen's cards beside the record (issue 6: the registry reflects card state).
 * A row per card, moved only forward by `card_version`, so a late older event changes nothing.
 */
export class RegistryCardsSchema extends Migration {
  override name = '0103-registry-cards';

  override up(): void {
    this.addSql(`
      CREATE TABLE reg_cards (
        card_id text PRIMARY KEY,
        citizen_id uuid NOT NULL,
        document_number text NOT NULL,
        status text NOT NULL,
        issue_date date,
        expiry_date date,
        changed_at timestamptz,
        card_version bigint NOT NULL
      )`);
    this.addSql('CREATE INDEX reg_cards_citizen ON reg_cards (citizen_id)');
  }
}
