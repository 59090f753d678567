import type { MigrationObject } from '@mikro-orm/core';
import { auditMigrations } from '@cancuoc/audit';
import { eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import { CardProductionSchema } from './0100-card-production.js';
import { UnfinishedCardsIndex } from './0101-unfinished-cards.js';

/** Everything card production's database needs, in order. */
export const cardProductionMigrations: readonly MigrationObject[] = [
  ...eventStoreMigrations,
  ...inboxMigrations,
  ...auditMigrations,
  { name: '0100-card-production', class: CardProductionSchema },
  { name: '0101-unfinished-cards', class: UnfinishedCardsIndex },
];
