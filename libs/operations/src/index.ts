export * from './cli/index.js';
export { operationsMigrations } from './migrations/index.js';
export * from './server/operations-service.js';
export * from './server/projections.js';
export * from './server/unfinished-work.js';
