import { embeddedServiceAuth, type DevelopmentIssuer } from '@cancuoc/auth';
import {
  defineService,
  failedPrecondition,
  notFound,
  serverCredentialsFor,
  startGrpcServer,
  type RunningGrpcServer,
  type TlsFiles,
} from '@cancuoc/grpc';
import { PersonalisationDataService } from '@cancuoc/proto';
import { sha256Hex } from './portraits.js';

interface Held {
  readonly image: Uint8Array;
  readonly mediaType: string;
  /** What GetPortrait states as the hash; a test may make it lie. */
  readonly statedSha256: string;
  readonly withheld: boolean;
}

/**
 * A contract test double of enrollment's one RPC card production calls,
 * `PersonalisationDataService/GetPortrait`, served over real gRPC as enrollment serves it: tokens
 * of the test's development issuer for audience `enrollment`, authorized by the platform policy
 * (@cancuoc/auth's guard: only the service `card-production` may read portraits), NOT_FOUND for an
 * unknown application or reference, FAILED_PRECONDITION when withheld. It can be stopped and
 * started again on the same port, to play an enrollment that is down for a while.
 */
export class EnrollmentDouble {
  private readonly portraits = new Map<string, Held>();
  private server: RunningGrpcServer | undefined;
  readonly calls: { applicationId: string; reference: string; actor: string }[] = [];
  private port = 0;

  constructor(
    private readonly issuer: DevelopmentIssuer,
    /** Serve mutual TLS with these files (enrollment's identity), as in server mode; default plaintext. */
    private readonly tls?: TlsFiles,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Holds a portrait for an application and returns its reference and SHA-256, as the event carries them. */
  hold(
    applicationId: string,
    image: Uint8Array,
    options: { reference?: string; statedSha256?: string; withheld?: boolean } = {},
  ): { reference: string; sha256: string } {
    const reference = options.reference ?? `face-${applicationId}`;
    const sha256 = sha256Hex(image);
    this.portraits.set(`${applicationId}/${reference}`, {
      image,
      mediaType: 'image/jpeg',
      statedSha256: options.statedSha256 ?? sha256,
      withheld: options.withheld ?? false,
    });
    return { reference, sha256 };
  }

  async start(): Promise<void> {
    this.server = await startGrpcServer({
      host: '127.0.0.1',
      port: this.port,
      credentials: serverCredentialsFor({ tls: this.tls, host: '127.0.0.1', server: false }).credentials,
      services: [
        defineService(
          PersonalisationDataService,
          { authenticate: embeddedServiceAuth(this.issuer, 'enrollment').authenticate },
          {
            getPortrait: (request, call) => {
              this.calls.push({ ...request, actor: call.principal.actor });
              const held = this.portraits.get(`${request.applicationId}/${request.reference}`);
              if (!held) throw notFound('portrait', 'reference');
              if (held.withheld) {
                throw failedPrecondition([
                  { type: 'APPLICATION_NOT_SUBMITTED', subject: 'application', description: 'not submitted' },
                ]);
              }
              return {
                image: held.image,
                mediaType: held.mediaType,
                width: 120,
                height: 160,
                sha256: held.statedSha256,
              };
            },
          },
        ),
      ],
    });
    this.port = this.server.port;
  }

  /** Stops answering (connections refused) until `start()` again, on the same port. */
  async stop(): Promise<void> {
    await this.server?.shutdown(1_000);
    this.server = undefined;
  }

  /** A port for an enrollment that is not there yet; `start()` later binds it. */
  async reservePort(): Promise<void> {
    await this.start();
    await this.stop();
  }
}
