import type { MigrationObject } from '@mikro-orm/core';
import { eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import { EnrollmentSchema } from './0200-enrollment.js';

/** Everything enrollment's database needs, in order. */
export const enrollmentMigrations: readonly MigrationObject[] = [
  ...eventStoreMigrations,
  ...inboxMigrations,
  { name: '0200-enrollment', class: EnrollmentSchema },
];
