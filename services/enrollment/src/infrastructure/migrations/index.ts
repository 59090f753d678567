import type { MigrationObject } from '@mikro-orm/core';
import { eventStoreMigrations } from '@cancuoc/eventstore';
import { inboxMigrations } from '@cancuoc/messaging';
import { EnrollmentSchema } from './0200-enrollment.js';
import { UnfinishedApplicationsIndex } from './0201-unfinished-applications.js';
import { FingerprintIndexSchema } from './0202-fingerprint-index.js';

/** Everything enrollment's database needs, in order. */
export const enrollmentMigrations: readonly MigrationObject[] = [
  ...eventStoreMigrations,
  ...inboxMigrations,
  { name: '0200-enrollment', class: EnrollmentSchema },
  { name: '0201-unfinished-applications', class: UnfinishedApplicationsIndex },
  { name: '0202-fingerprint-index', class: FingerprintIndexSchema },
];
