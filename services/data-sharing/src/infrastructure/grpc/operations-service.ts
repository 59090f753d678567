import {
  defineService,
  invalidArgument,
  type Authenticator,
  type Caller,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import type { Operations } from '../../application/operations.js';
import { administrator } from './callers.js';
import { guarded } from './errors.js';

/** `cancuoc.datasharing.v1.OperationsService`: projection status and rebuilds, for the role `admin`. */
export function operationsService(
  operations: Operations,
  authenticate: Authenticator<Caller>,
): ServiceRegistration {
  return defineService(
    datasharing.OperationsService,
    { authenticate },
    {
      getProjectionStatus: async (_request, call) =>
        guarded(async () => {
          administrator(call);
          const s = await operations.status();
          return {
            position: s.position,
            lag: s.lag,
            rebuilding: s.rebuilding,
            citizens: s.citizens,
            backfillsRunning: s.backfillsRunning,
            queued: s.queued,
          };
        }),
      rebuildProjections: async (request, call) =>
        guarded(async () => {
          administrator(call);
          const scope =
            request.scope === datasharing.RebuildScope.VIEWS
              ? 'views'
              : request.scope === datasharing.RebuildScope.ALL
                ? 'all'
                : undefined;
          if (!scope)
            throw invalidArgument([
              { field: 'scope', reason: 'REQUIRED', description: 'REBUILD_SCOPE_VIEWS or REBUILD_SCOPE_ALL' },
            ]);
          return { backfillsStarted: await operations.rebuild(scope) };
        }),
    },
  );
}
