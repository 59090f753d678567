import { auditMigrations } from '@cancuoc/audit';
import { Database, EventStore } from '@cancuoc/eventstore';
import { createTestDatabase } from '@cancuoc/testing';
import { enrollmentMigrations } from '../infrastructure/migrations/index.js';

export interface EnrollmentDatabase {
  readonly db: Database;
  readonly store: EventStore;
  readonly url: string;
  close(): Promise<void>;
}

/** Enrollment's schema on a fresh PostgreSQL database. */
export async function openEnrollmentDatabase(): Promise<EnrollmentDatabase> {
  const testDb = await createTestDatabase('enrollment_test');
  const db = await Database.connect({
    databaseUrl: testDb.url,
    migrations: [...enrollmentMigrations, ...auditMigrations],
  });
  await db.migrate();
  return {
    db,
    store: new EventStore(db),
    url: testDb.url,
    async close() {
      await db.close();
      await testDb.drop();
    },
  };
}
