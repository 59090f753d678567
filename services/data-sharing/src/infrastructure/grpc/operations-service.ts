import type { Authorized } from '@cancuoc/auth';
import { defineService, invalidArgument, type Authenticator, type ServiceRegistration } from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import type { Operations } from '../../application/operations.js';
import { guarded } from './errors.js';

/** `cancuoc.datasharing.v1.OperationsService`: projection status and rebuilds, for administrators (the platform policy). */
export function operationsService(
  operations: Operations,
  authenticate: Authenticator<Authorized>,
): ServiceRegistration {
  return defineService(
    datasharing.OperationsService,
    { authenticate },
    {
      getProjectionStatus: async () =>
        guarded(async () => {
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
      rebuildProjections: async (request) =>
        guarded(async () => {
          const scope =
            request.scope === datasharing.RebuildScope.VIEWS
              ? 'views'
              : request.scope === datasharing.RebuildScope.ALL
                ? 'all'
                : undefined;
          if (!scope)
            throw invalidArgument([
              {
                field: 'scope',
                reason: request.scope === datasharing.RebuildScope.UNSPECIFIED ? 'REQUIRED' : 'INVALID_VALUE',
                description: 'REBUILD_SCOPE_VIEWS or REBUILD_SCOPE_ALL',
              },
            ]);
          return { backfillsStarted: await operations.rebuild(scope) };
        }),
    },
  );
}
