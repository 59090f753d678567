import type { DescService } from '@bufbuild/protobuf';
import type { Identity, TokenSource } from '@cancuoc/auth';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  channelCredentialsFor,
  closeClient,
  createClient,
  grpcCode,
  status,
  TlsConfigError,
  type GrpcClient,
  type TlsFiles,
} from '@cancuoc/grpc';
import { CliError, cliCredentials, type Caller, type Credentials } from '@cancuoc/operations';
import { DEFAULT_PORTS, SERVICES, envName, type ServiceName } from '../services.js';
import { CliFailure } from './command.js';

/** Flags every command that calls the services takes. */
export const CONNECTION_FLAGS = {
  registry: { type: 'string' },
  enrollment: { type: 'string' },
  'card-production': { type: 'string' },
  'data-sharing': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const CONNECTION_USAGE = `Connection:
  --registry HOST:PORT         registry (default: $CANCUOC_REGISTRY_ADDRESS or 127.0.0.1:50051)
  --enrollment HOST:PORT       enrollment (default: $CANCUOC_ENROLLMENT_ADDRESS or 127.0.0.1:50052)
  --card-production HOST:PORT  card production (default: $CANCUOC_CARD_PRODUCTION_ADDRESS or 127.0.0.1:50053)
  --data-sharing HOST:PORT     data sharing (default: $CANCUOC_DATA_SHARING_ADDRESS or 127.0.0.1:50054)
  --data-dir DIR               the embedded platform's folder, whose development issuer (DIR/issuer.json)
                               makes the tokens (default: $CANCUOC_DATA_DIR or .data) and, when it
                               runs on mutual TLS (cancuoc start --tls), whose CA (DIR/ca) issues
                               each station and agency its certificate, and people this machine's
Server mode (CANCUOC_OIDC_ISSUER set): tokens from your session (cancuoc login), a machine's client
key (CANCUOC_CLIENT_ID, CANCUOC_CLIENT_KEY_FILE) or CANCUOC_TOKEN; mutual TLS with
CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE.
`;

type ChannelCredentials = ReturnType<typeof channelCredentialsFor>;

type ConnectionValues = { readonly [K in keyof typeof CONNECTION_FLAGS]?: string | undefined };

/** Where the services are, and who the commands act as (the CLI's credentials). */
export class Connection {
  private clients = new Map<string, object>();
  private channels = new Map<string, ChannelCredentials>();

  private constructor(
    readonly addresses: Readonly<Record<ServiceName, string>>,
    readonly credentials: Credentials,
  ) {}

  static from(values: ConnectionValues, env: NodeJS.ProcessEnv): Connection {
    const addresses = Object.fromEntries(
      SERVICES.map((s) => [
        s,
        values[s] ?? env[`CANCUOC_${envName(s)}_ADDRESS`] ?? `127.0.0.1:${DEFAULT_PORTS[s]}`,
      ]),
    ) as Record<ServiceName, string>;
    let credentials: Credentials;
    try {
      credentials = cliCredentials({ dataDir: values['data-dir'] }, env);
    } catch (error) {
      if (error instanceof CliError) throw new CliFailure(error.message);
      throw error;
    }
    return new Connection(addresses, credentials);
  }

  static of(addresses: Readonly<Record<ServiceName, string>>, credentials: Credentials): Connection {
    return new Connection(addresses, credentials);
  }

  /**
   * Makes the certificates of the callers in `identities` before their channels are made
   * ({@link client}, {@link channel} of `as(…).tls`): on an embedded platform on mutual TLS, each
   * station and agency gets its own from the platform's development CA, every person this
   * workstation's. Nothing to do elsewhere. {@link expectServing} makes the people's.
   */
  async prepare(identities: readonly Identity[] = []): Promise<void> {
    try {
      await this.credentials.ready?.(identities);
    } catch (error) {
      if (error instanceof CliError) throw new CliFailure(error.message);
      throw error;
    }
  }

  /** The caller acting as `identity`: its tokens and its channel's TLS identity. */
  as(identity: Identity): Caller {
    return this.credentials.as(identity);
  }

  /** The tokens of `identity` (the station simulator's, the x-station-token of an enrollment station). */
  tokens(identity: Identity): TokenSource {
    return this.as(identity).tokens;
  }

  /** Channel credentials for `tls`, one per certificate file (each watches its files). */
  channel(tls: TlsFiles | undefined): ChannelCredentials {
    const key = tls ? JSON.stringify(tls) : '';
    let channel = this.channels.get(key);
    if (!channel) {
      try {
        channel = channelCredentialsFor(tls);
      } catch (error) {
        if (error instanceof TlsConfigError) throw new CliFailure(error.message);
        throw error;
      }
      this.channels.set(key, channel);
    }
    return channel;
  }

  /**
   * A client of `service` calling as `identity` (one per caller, reused); closed by `close()`.
   * `headers` are more metadata per call, each a token of another identity for `service`
   * (an enrollment station's `x-station-token` beside its operator's).
   */
  client<S extends DescService>(
    descriptor: S,
    service: ServiceName,
    identity: Identity,
    headers: Readonly<Record<string, Identity>> = {},
  ): GrpcClient<S> {
    const key = JSON.stringify([descriptor.typeName, identity, headers]);
    const known = this.clients.get(key);
    if (known) return known as GrpcClient<S>;
    const caller = this.as(identity);
    const extra = Object.entries(headers).map(([name, other]) => [name, this.tokens(other)] as const);
    const client = createClient(descriptor, this.addresses[service], {
      credentials: this.channel(caller.tls),
      metadata: async () => {
        const metadata: Record<string, string> = {
          authorization: `Bearer ${await caller.tokens.token(service)}`,
        };
        for (const [name, tokens] of extra) metadata[name] = await tokens.token(service);
        return metadata;
      },
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
    await this.prepare();
    for (const service of services) {
      const address = this.addresses[service];
      const health = createClient(Health, address, { credentials: this.channel(this.credentials.tls) });
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

/** The one line for a call that failed because the service is away, or refused the caller. */
export function unreachable(service: ServiceName, address: string, error: unknown): CliFailure {
  if (error instanceof CliError) return new CliFailure(error.message);
  const code = grpcCode(error);
  if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === undefined)
    return new CliFailure(
      `${service} is not reachable at ${address}: is the platform running? (npm start, or --${service} HOST:PORT)`,
    );
  if (code === status.UNAUTHENTICATED)
    return new CliFailure(
      `${service} at ${address} refused the token: not from the issuer it trusts (--data-dir? cancuoc login?), or expired`,
    );
  return new CliFailure(`${service} at ${address} answered ${status[code]}`);
}
