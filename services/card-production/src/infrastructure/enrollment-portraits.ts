import { closeClient, createClient, grpcCode, signToken, status, type GrpcClient } from '@cancuoc/grpc';
import { PersonalisationDataService } from '@cancuoc/proto';
import {
  PortraitRefusedError,
  PortraitUnavailableError,
  type Portrait,
  type PortraitSource,
} from '../application/ports.js';

/** Codes after which trying again later can succeed. */
const TRANSIENT = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
  status.INTERNAL,
  status.UNKNOWN,
  status.CANCELLED,
]);

/**
 * Enrollment's PersonalisationDataService as the portrait source. Card production calls it as
 * `service:card-production` (role `service`, audience `enrollment`); a fresh short-lived token is
 * signed for every call. Enrollment unreachable or failing: `PortraitUnavailableError` (the job
 * waits); credentials refused: the same, with its own reason, since an operator must fix the
 * configuration, not the card; unknown or withheld: `PortraitRefusedError`.
 */
export class EnrollmentPortraits implements PortraitSource {
  private readonly client: GrpcClient<typeof PersonalisationDataService>;

  constructor(address: string, secret: string, timeoutMs = 10_000) {
    this.client = createClient(PersonalisationDataService, address, {
      defaultTimeoutMs: timeoutMs,
      metadata: () => ({
        authorization: `Bearer ${signToken(secret, { sub: 'service:card-production', aud: 'enrollment', roles: ['service'], ttlSeconds: 300 })}`,
      }),
    });
  }

  async getPortrait(applicationId: string, reference: string): Promise<Portrait> {
    try {
      const reply = await this.client.getPortrait({ applicationId, reference });
      return { image: reply.image, mediaType: reply.mediaType, sha256: reply.sha256 };
    } catch (error) {
      const code = grpcCode(error);
      if (code === status.NOT_FOUND)
        throw new PortraitRefusedError('PORTRAIT_NOT_FOUND', 'enrollment knows no such portrait');
      if (code === status.FAILED_PRECONDITION) {
        throw new PortraitRefusedError('PORTRAIT_WITHHELD', 'enrollment will not release this portrait');
      }
      if (code === status.UNAUTHENTICATED || code === status.PERMISSION_DENIED) {
        throw new PortraitUnavailableError('ENROLLMENT_REFUSED_CREDENTIALS');
      }
      if (code === undefined || TRANSIENT.has(code))
        throw new PortraitUnavailableError('ENROLLMENT_UNAVAILABLE');
      throw new PortraitRefusedError('PORTRAIT_WITHHELD', 'enrollment refused the request');
    }
  }

  close(): void {
    closeClient(this.client);
  }
}
