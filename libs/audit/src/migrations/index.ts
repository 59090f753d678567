import type { MigrationObject } from '@mikro-orm/core';
import { AuditLogSchema } from './0004-audit-log.js';

/** For every service that keeps an audit log in its own database. */
export const auditMigrations: readonly MigrationObject[] = [
  { name: '0004-audit-log', class: AuditLogSchema },
];
