import {
  Health,
  HealthCheckResponse_ServingStatus,
  closeClient,
  createClient,
  grpcCode,
  signToken,
  status,
  type GrpcClient,
} from '@cancuoc/grpc';
import type { DescService } from '@bufbuild/protobuf';
import { CliError, readTokenKey } from '@cancuoc/operations';
import { DEFAULT_PORTS, SERVICES, envName, type ServiceName } from '../services.js';
import { CliFailure } from './command.js';

/** Flags every command that calls the services takes. */
export const CONNECTION_FLAGS = {
  registry: { type: 'string' },
  enrollment: { type: 'string' },
  'card-production': { type: 'string' },
  'data-sharing': { type: 'string' },
  'secret-file': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const CONNECTION_USAGE = `Connection:
  --registry HOST:PORT         registry (default: $CANCUOC_REGISTRY_ADDRESS or 127.0.0.1:50051)
  --enrollment HOST:PORT       enrollment (default: $CANCUOC_ENROLLMENT_ADDRESS or 127.0.0.1:50052)
  --card-production HOST:PORT  card production (default: $CANCUOC_CARD_PRODUCTION_ADDRESS or 127.0.0.1:50053)
  --data-sharing HOST:PORT     data sharing (default: $CANCUOC_DATA_SHARING_ADDRESS or 127.0.0.1:50054)
  --secret-file FILE           the token key (default: $CANCUOC_AUTH_SECRET, else DIR/auth-secret)
  --data-dir DIR               the embedded platform's folder, for its token key (default: $CANCUOC_DATA_DIR or .data)
`;

type ConnectionValues = { readonly [K in keyof typeof CONNECTION_FLAGS]?: string | undefined };

/** Where the services are and the key to sign tokens for them. */
export class Connection {
  private clients = new Map<string, object>();

  private constructor(
    readonly addresses: Readonly<Record<ServiceName, string>>,
    readonly secret: string,
  ) {}

  static from(values: ConnectionValues, env: NodeJS.ProcessEnv): Connection {
    const addresses = Object.fromEntries(
      SERVICES.map((s) => [
        s,
        values[s] ?? env[`CANCUOC_${envName(s)}_ADDRESS`] ?? `127.0.0.1:${DEFAULT_PORTS[s]}`,
      ]),
    ) as Record<ServiceName, string>;
    return new Connection(addresses, readSecret(values['secret-file'], values['data-dir'], env));
  }

  static of(addresses: Readonly<Record<ServiceName, string>>, secret: string): Connection {
    return new Connection(addresses, secret);
  }

  /** A bearer token of `subject` with `roles` for `service`. */
  token(service: ServiceName, subject: string, roles: readonly string[]): string {
    return signToken(this.secret, { sub: subject, aud: service, roles, ttlSeconds: 12 * 3600 });
  }

  /** A client of `service` calling as `subject` (one per caller, reused); closed by `close()`. */
  client<S extends DescService>(
    descriptor: S,
    service: ServiceName,
    subject: string,
    roles: readonly string[],
    extra: Readonly<Record<string, string>> = {},
  ): GrpcClient<S> {
    const key = JSON.stringify([descriptor.typeName, subject, roles, extra]);
    const known = this.clients.get(key);
    if (known) return known as GrpcClient<S>;
    const token = this.token(service, subject, roles);
    const client = createClient(descriptor, this.addresses[service], {
      metadata: () => ({ authorization: `Bearer ${token}`, ...extra }),
      defaultTimeoutMs: 30_000,
    });
    this.clients.set(key, client);
    return client;
  }

  /**
   * Fails with one clear line unless every named service answers its health check as SERVING. A
   * refused connection fails at once; a slow answer is waited for (an embedded platform shares one
   * event loop with PGlite, which blocks it while it works).
   */
  async expectServing(services: readonly ServiceName[], timeoutMs = 30_000): Promise<void> {
    for (const service of services) {
      const address = this.addresses[service];
      const health = createClient(Health, address);
      try {
        const reply = await health.check({ service: '' }, { timeoutMs });
        if (reply.status !== HealthCheckResponse_ServingStatus.SERVING)
          throw new CliFailure(`${service} at ${address} is not serving yet; try again in a moment`);
      } catch (error) {
        if (error instanceof CliFailure) throw error;
        if (grpcCode(error) === status.DEADLINE_EXCEEDED)
          throw new CliFailure(`${service} at ${address} did not answer within ${timeoutMs / 1000} s`);
        throw unreachable(service, address, error);
      } finally {
        closeClient(health);
      }
    }
  }

  close(): void {
    for (const client of this.clients.values()) closeClient(client);
    this.clients.clear();
  }
}

/** The one line for a call that failed because the service is away. */
export function unreachable(service: ServiceName, address: string, error: unknown): CliFailure {
  const code = grpcCode(error);
  if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === undefined)
    return new CliFailure(
      `${service} is not reachable at ${address}: is the platform running? (npm start, or --${service} HOST:PORT)`,
    );
  if (code === status.UNAUTHENTICATED)
    return new CliFailure(
      `${service} at ${address} refused the token: the key differs from the platform's (CANCUOC_AUTH_SECRET or --data-dir)`,
    );
  return new CliFailure(`${service} at ${address} answered ${status[code]}`);
}

function readSecret(file: string | undefined, dataDir: string | undefined, env: NodeJS.ProcessEnv): string {
  try {
    return readTokenKey({ file, dataDir }, env);
  } catch (error) {
    if (error instanceof CliError) throw new CliFailure(error.message);
    throw error;
  }
}
