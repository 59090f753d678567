import type { ServiceAuth } from '@cancuoc/auth';
import { defineService, type ServiceRegistration } from '@cancuoc/grpc';
import { PersonalisationDataService } from '@cancuoc/proto';
import type { Enrollment } from '../../application/enrollment.js';
import { guarded } from './errors.js';
import { checks } from './request-checks.js';

/**
 * `cancuoc.enrollment.v1.PersonalisationDataService`: the clear portrait of a submitted application,
 * for card production's DG2, each release written to the audit log first. Only the service
 * `card-production` may call it — the platform policy's one grant for `GetPortrait`, checked by the
 * guard before this handler runs.
 */
export function personalisationService(
  enrollment: Enrollment,
  auth: Pick<ServiceAuth, 'authenticate'>,
): ServiceRegistration {
  return defineService(
    PersonalisationDataService,
    { authenticate: auth.authenticate },
    {
      getPortrait: async (req, call) => {
        checks()
          .uuid('application_id', req.applicationId, 'application')
          .uuid('reference', req.reference, 'face reference from the event')
          .done();
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
