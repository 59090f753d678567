import type { MigrationObject } from '@mikro-orm/core';
import { EventStoreSchema } from './0001-event-store.js';

/** The event store's migrations, in order; a service appends its own after them. */
export const eventStoreMigrations: readonly MigrationObject[] = [
  { name: '0001-event-store', class: EventStoreSchema },
];
