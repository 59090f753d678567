export * from './audit-log.js';
export { entryHash, GENESIS_HASH, type HashedFields } from './chain-hash.js';
export { auditMigrations } from './migrations/index.js';
