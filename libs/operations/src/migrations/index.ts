import type { MigrationObject } from '@mikro-orm/core';
import { ProjectionRebuildsSchema } from './0005-projection-rebuilds.js';

/** For a service whose projections are rebuilt through `eventStoreProjection` (it records each rebuild). */
export const operationsMigrations: readonly MigrationObject[] = [
  { name: '0005-projection-rebuilds', class: ProjectionRebuildsSchema },
];
