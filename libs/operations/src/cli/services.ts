import { userInfo } from 'node:os';
import type { DescService } from '@bufbuild/protobuf';
import { identities } from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  createClient,
  readErrorDetails,
  status,
  TlsConfigError,
  type GrpcClient,
  type TlsFiles,
} from '@cancuoc/grpc';
import { CliError, EXIT } from './command.js';
import { text } from './args.js';
import { cliCredentials, type Credentials } from './credentials.js';

/** The platform's services and their default gRPC ports (docs/conventions.md). */
export const SERVICES = [
  { name: 'registry', port: 50051 },
  { name: 'enrollment', port: 50052 },
  { name: 'card-production', port: 50053 },
  { name: 'data-sharing', port: 50054 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export const isServiceName = (name: string): name is ServiceName => SERVICES.some((s) => s.name === name);

/** The flags every command that calls services takes. */
export const CONNECTION_OPTIONS = {
  'data-dir': { type: 'string' },
  registry: { type: 'string' },
  enrollment: { type: 'string' },
  'card-production': { type: 'string' },
  'data-sharing': { type: 'string' },
  staff: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

export const CONNECTION_USAGE = `Connection:
  --<service> host:port          where a service listens (--registry, --enrollment, --card-production,
                                 --data-sharing); else CANCUOC_<SERVICE>_ADDRESS, else localhost:50051–50054
  --data-dir DIR                 the embedded platform's folder, whose development issuer makes the
                                 tokens (default: $CANCUOC_DATA_DIR or .data)
  --staff id                     embedded: who you are, the token's subject admin:<id> (default: your login)
  --timeout-ms n                 per call (default 30000)
Server mode (CANCUOC_OIDC_ISSUER set): your session from cancuoc login, or CANCUOC_TOKEN; mutual TLS
with CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE. An embedded platform on
mutual TLS (cancuoc start --tls): this workstation's certificate, issued from its CA in DIR/ca.`;

type ConnectionValues = Partial<Record<keyof typeof CONNECTION_OPTIONS, string | boolean | undefined>>;

const envName = (service: ServiceName) => `CANCUOC_${service.toUpperCase().replaceAll('-', '_')}_ADDRESS`;

/** How the commands reach the services: addresses, and the administrator's tokens and certificate. */
export class Connection {
  private readonly credentials: Credentials;
  private readonly staff: string;
  readonly timeoutMs: number;

  constructor(
    private readonly values: ConnectionValues,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    const staff = text(values.staff) ?? env.CANCUOC_STAFF_ID ?? safeLogin();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(staff))
      throw new CliError('--staff must be a staff id (letters, digits, . _ -)', EXIT.usage);
    this.staff = staff;
    this.credentials = cliCredentials({ dataDir: text(values['data-dir']) }, env);
    const timeout = text(values['timeout-ms']);
    this.timeoutMs = timeout === undefined ? 30_000 : Number(timeout);
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new CliError('--timeout-ms must be a positive whole number of milliseconds', EXIT.usage);
  }

  address(service: ServiceName): string {
    const port = SERVICES.find((s) => s.name === service)!.port;
    return text(this.values[service]) ?? (this.env[envName(service)] || `localhost:${port}`);
  }

  /**
   * Calls `use` with a client of `descriptor` at `service`, as `admin:<staff>` (embedded) or as the
   * signed-in administrator (server mode).
   */
  async call<S extends DescService, T>(
    service: ServiceName,
    descriptor: S,
    use: (client: GrpcClient<S>) => Promise<T>,
  ): Promise<T> {
    const address = this.address(service);
    const administrator = identities.administrator(this.staff);
    // The embedded platform on its development CA: this workstation's certificate, made first.
    await this.credentials.ready?.([administrator]);
    const { tokens, tls } = this.credentials.as(administrator);
    const client = createClient(descriptor, address, {
      credentials: channelOf(tls),
      defaultTimeoutMs: this.timeoutMs,
      metadata: async () => ({ authorization: `Bearer ${await tokens.token(service)}` }),
    });
    try {
      return await use(client);
    } catch (error) {
      throw callError(service, address, error);
    } finally {
      closeClient(client);
    }
  }
}

/** The channel's credentials; unreadable certificate files are the command's one line. */
function channelOf(tls: TlsFiles | undefined) {
  try {
    return channelCredentialsFor(tls);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new CliError(error.message);
    throw error;
  }
}

function safeLogin(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

/** A failed call as one line: unreachable services by address, refusals by status and message. */
export function callError(service: ServiceName, address: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const details = readErrorDetails(error);
  if (!details)
    return new CliError(`${service} at ${address}: ${error instanceof Error ? error.name : 'failed'}`);
  if (details.code === status.UNAVAILABLE)
    return new CliError(`${service} is unreachable at ${address} (is it running? --${service})`);
  if (details.code === status.UNAUTHENTICATED)
    return new CliError(
      `${service} at ${address} refused the token: not from its issuer, expired, or not for it (--data-dir? cancuoc login?)`,
    );
  if (details.code === status.PERMISSION_DENIED)
    return new CliError(
      `${service} at ${address}: PERMISSION_DENIED: ${details.message} (an administrator's role is needed)`,
    );
  const name = status[details.code] ?? String(details.code);
  return new CliError(`${service} at ${address}: ${name}: ${details.message}`);
}
