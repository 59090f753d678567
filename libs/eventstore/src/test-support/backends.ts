import { createTestDatabase } from '@cancuoc/testing';
import { Database } from '../database.js';
import { EventStore, type EventStoreOptions } from '../event-store.js';
import { eventStoreMigrations } from '../migrations/index.js';

export interface Backend {
  readonly name: 'postgresql' | 'pglite';
  /** A migrated, empty event store of its own; `close` disposes of it and its database. */
  open(options?: EventStoreOptions): Promise<OpenStore>;
}

export interface OpenStore {
  readonly store: EventStore;
  readonly db: Database;
  /** How a second process would reach the same database (the server URL, or the PGlite folder). */
  readonly location: { databaseUrl?: string; dataDir?: string };
  close(): Promise<void>;
}

export const postgresql: Backend = {
  name: 'postgresql',
  async open(options) {
    const testDb = await createTestDatabase('es_test');
    const db = await Database.connect({
      databaseUrl: testDb.url,
      poolSize: 20,
      migrations: eventStoreMigrations,
    });
    await db.migrate();
    return {
      store: new EventStore(db, options),
      db,
      location: { databaseUrl: testDb.url },
      async close() {
        await db.close();
        await testDb.drop();
      },
    };
  },
};

export const pglite: Backend = {
  name: 'pglite',
  async open(options) {
    const db = await Database.connect({ migrations: eventStoreMigrations });
    await db.migrate();
    return { store: new EventStore(db, options), db, location: {}, close: () => db.close() };
  },
};

export const backends: readonly Backend[] = [postgresql, pglite];
