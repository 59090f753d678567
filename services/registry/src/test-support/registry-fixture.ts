import { randomInt } from 'node:crypto';
import { AuditLog, auditMigrations } from '@cancuoc/audit';
import { Database, EventStore } from '@cancuoc/eventstore';
import { CalendarDate, type RandomSource } from '@cancuoc/identity';
import { connectTestRedis, createTestDatabase, type TestRedis } from '@cancuoc/testing';
import { Jurisdiction } from '../application/jurisdiction.js';
import { Registry, type RegistrationFacts } from '../application/registry.js';
import { RedisCitizenCache } from '../infrastructure/citizen-caches.js';
import { registryMigrations } from '../infrastructure/migrations/index.js';

export const TODAY = CalendarDate.parse('2026-11-26');

export interface RegistryFixture {
  readonly registry: Registry;
  readonly store: EventStore;
  readonly db: Database;
  readonly redis: TestRedis;
  readonly cache: RedisCitizenCache;
  readonly databaseUrl: string;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/** A registry on a fresh PostgreSQL database and a Redis key space of its own. */
export async function openRegistry(options: { random?: RandomSource } = {}): Promise<RegistryFixture> {
  const testDb = await createTestDatabase('registry_test');
  const db = await Database.connect({
    databaseUrl: testDb.url,
    poolSize: 20,
    migrations: [...registryMigrations, ...auditMigrations],
  });
  await db.migrate();
  const redis = await connectTestRedis();
  const cache = new RedisCitizenCache(redis.client);
  const store = new EventStore(db);
  const audit = new AuditLog(db, { chain: 'registry' });
  const registry = new Registry({
    audit,
    store,
    cache,
    today: () => TODAY,
    random: options.random ?? ((max) => randomInt(max)),
    staleAfterDays: 365,
  });
  return {
    registry,
    store,
    db,
    redis,
    cache,
    databaseUrl: testDb.url,
    audit,
    async close() {
      await redis.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export const HANG_DAO = { provinceCode: '001', communeCode: '00049', detail: '12 Hàng Đào' };
export const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };

export function facts(overrides: Partial<RegistrationFacts> = {}): RegistrationFacts {
  return {
    name: { familyName: 'Nguyễn', middleName: 'Thị Ánh', givenName: 'Đào' },
    birthDate: '1990-05-17',
    sex: 'female',
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birthPlace: HANG_DAO,
    homeTown: HANG_DAO,
    permanentResidence: CAI_KHE,
    fatherCitizenId: null,
    motherCitizenId: null,
    ...overrides,
  };
}

/** How the tests read: a national clerk stating a purpose, as every read must. */
export const CLERK = { actor: 'clerk:test', purpose: 'test', jurisdiction: Jurisdiction.everywhere } as const;
/** How the tests write: a national clerk (the tests of jurisdiction limit theirs). */
export const WRITER = { actor: 'clerk:hn-001', jurisdiction: Jurisdiction.everywhere } as const;
