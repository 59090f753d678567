import type { TokenSource } from '@cancuoc/auth';
import {
  closeClient,
  createClient,
  grpcCode,
  status,
  type channelCredentialsFor,
  type GrpcClient,
} from '@cancuoc/grpc';
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

export interface EnrollmentPortraitsOptions {
  /** gRPC target of enrollment's PersonalisationDataService. */
  readonly address: string;
  /** Card production's own tokens (`ServiceAuth.tokens`): `service:card-production`, audience `enrollment`. */
  readonly tokens: TokenSource;
  /** Mutual TLS in server mode (`channelCredentialsFor`); plaintext on loopback when embedded. */
  readonly credentials?: ReturnType<typeof channelCredentialsFor>;
  readonly timeoutMs?: number;
}

/**
 * Enrollment's PersonalisationDataService as the portrait source. Card production calls it with
 * its own token for audience `enrollment` (kind `service`, service `card-production`: the only
 * caller the policy lets read portraits), from the OpenID provider by client credentials in
 * server mode, from the development issuer when embedded; the token is kept until near its expiry.
 * Enrollment unreachable or failing: `PortraitUnavailableError` (the job waits); our token refused,
 * or none to be had from the provider: the same, with its own reason, since an operator must fix
 * the configuration, not the card; unknown or withheld: `PortraitRefusedError`.
 */
export class EnrollmentPortraits implements PortraitSource {
  private readonly client: GrpcClient<typeof PersonalisationDataService>;
  private readonly tokens: TokenSource;

  constructor(options: EnrollmentPortraitsOptions) {
    this.tokens = options.tokens;
    this.client = createClient(PersonalisationDataService, options.address, {
      defaultTimeoutMs: options.timeoutMs ?? 10_000,
      ...(options.credentials && { credentials: options.credentials }),
    });
  }

  async getPortrait(applicationId: string, reference: string): Promise<Portrait> {
    let token: string;
    try {
      token = await this.tokens.token('enrollment');
    } catch {
      // The provider is unreachable or refuses our client: nothing enrollment could answer.
      throw new PortraitUnavailableError('ENROLLMENT_CREDENTIALS_UNAVAILABLE');
    }
    try {
      const reply = await this.client.getPortrait(
        { applicationId, reference },
        { metadata: { authorization: `Bearer ${token}` } },
      );
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
