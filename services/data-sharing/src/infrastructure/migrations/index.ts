import type { MigrationObject } from '@mikro-orm/core';
import { auditMigrations } from '@cancuoc/audit';
import { eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import { DataSharingSchema } from './0200-data-sharing.js';
import { CounterKeySchema } from './0201-counter-key.js';

/** Everything data sharing's database needs, in order. */
export const dataSharingMigrations: readonly MigrationObject[] = [
  ...eventStoreMigrations,
  ...inboxMigrations,
  ...auditMigrations,
  { name: '0200-data-sharing', class: DataSharingSchema },
  { name: '0201-counter-key', class: CounterKeySchema },
];
