import type { MigrationObject } from '@mikro-orm/core';
import { MessagingInboxSchema } from './0002-messaging-inbox.js';
import { InProcessLogSchema } from './0003-in-process-log.js';

/** For every service that consumes events: the idempotent consumer's inbox. */
export const inboxMigrations: readonly MigrationObject[] = [
  { name: '0002-messaging-inbox', class: MessagingInboxSchema },
];

/** For the database that holds the embedded default's event log. */
export const inProcessLogMigrations: readonly MigrationObject[] = [
  { name: '0003-in-process-log', class: InProcessLogSchema },
];
