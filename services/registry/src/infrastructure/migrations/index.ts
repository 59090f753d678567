import type { MigrationObject } from '@mikro-orm/core';
import { eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import { RegistrySchema } from './0100-registry.js';
import { RegistryImportSchema } from './0101-registry-import.js';
import { RegistryCardsSchema } from './0103-registry-cards.js';
import { RegistryRecodingSchema } from './0104-registry-recoding.js';

/** Everything the registry's database needs, in order. */
export const registryMigrations: readonly MigrationObject[] = [
  ...eventStoreMigrations,
  ...inboxMigrations,
  { name: '0100-registry', class: RegistrySchema },
  { name: '0101-registry-import', class: RegistryImportSchema },
  { name: '0103-registry-cards', class: RegistryCardsSchema },
  { name: '0104-registry-recoding', class: RegistryRecodingSchema },
];
