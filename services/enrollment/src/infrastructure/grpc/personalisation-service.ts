import {
  defineService,
  invalidArgument,
  permissionDenied,
  requireRole,
  type Authenticator,
  type ServiceRegistration,
} from '@cancuoc/grpc';
import { PersonalisationDataService } from '@cancuoc/proto';
import type { Enrollment } from '../../application/enrollment.js';
import type { EnrollmentCaller } from './auth.js';
import { guarded } from './errors.js';

/** The only caller the clear portrait is released to. */
export const CARD_PRODUCTION = 'service:card-production';

/**
 * `cancuoc.enrollment.v1.PersonalisationDataService`: the clear portrait of a submitted application,
 * for card production's DG2, each release written to the audit log first.
 */
export function personalisationService(
  enrollment: Enrollment,
  authenticate: Authenticator<EnrollmentCaller>,
): ServiceRegistration {
  return defineService(
    PersonalisationDataService,
    { authenticate },
    {
      getPortrait: async (req, call) => {
        requireRole(call.principal, 'service');
        if (call.principal.actor !== CARD_PRODUCTION) {
          throw permissionDenied('portraits are released to card production only', {
            reason: 'NOT_CARD_PRODUCTION',
          });
        }
        const missing = [
          ...(req.applicationId
            ? []
            : [{ field: 'application_id', reason: 'REQUIRED', description: 'name the application' }]),
          ...(req.reference
            ? []
            : [{ field: 'reference', reason: 'REQUIRED', description: 'the face reference from the event' }]),
        ];
        if (missing.length > 0) throw invalidArgument(missing);
        const portrait = await guarded(() =>
          enrollment.portrait(req.applicationId, req.reference, call.principal.actor),
        );
        return {
          image: portrait.bytes,
          mediaType: portrait.ref.mediaType,
          width: portrait.ref.width,
          height: portrait.ref.height,
          sha256: portrait.ref.sha256,
        };
      },
    },
  );
}
