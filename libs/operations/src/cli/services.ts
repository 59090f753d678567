import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import {
  closeClient,
  createClient,
  readErrorDetails,
  signToken,
  status,
  type GrpcClient,
} from '@cancuoc/grpc';
import { CliError, EXIT } from './command.js';
import { text } from './args.js';

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
  'secret-file': { type: 'string' },
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
  --secret-file path             the token key; else CANCUOC_AUTH_SECRET, else the embedded
                                 platform's DIR/auth-secret
  --data-dir DIR                 the embedded platform's folder (default: $CANCUOC_DATA_DIR or .data)
  --staff id                     who you are, in the token's subject admin:<id> (default: your login)
  --timeout-ms n                 per call (default 30000)`;

type ConnectionValues = Partial<Record<keyof typeof CONNECTION_OPTIONS, string | boolean | undefined>>;

const envName = (service: ServiceName) => `CANCUOC_${service.toUpperCase().replaceAll('-', '_')}_ADDRESS`;

/** How the commands reach the services: addresses, the token key, who signs. */
export class Connection {
  private readonly secret: string;
  private readonly staff: string;
  readonly timeoutMs: number;

  constructor(
    private readonly values: ConnectionValues,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.secret = secretFrom(values, env);
    const staff = text(values.staff) ?? env.CANCUOC_STAFF_ID ?? safeLogin();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(staff))
      throw new CliError('--staff must be a staff id (letters, digits, . _ -)', EXIT.usage);
    this.staff = staff;
    const timeout = text(values['timeout-ms']);
    this.timeoutMs = timeout === undefined ? 30_000 : Number(timeout);
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new CliError('--timeout-ms must be a positive whole number of milliseconds', EXIT.usage);
  }

  address(service: ServiceName): string {
    const port = SERVICES.find((s) => s.name === service)!.port;
    return text(this.values[service]) ?? (this.env[envName(service)] || `localhost:${port}`);
  }

  /** Calls `use` with a client of `descriptor` at `service`, signed as `admin:<staff>` for it. */
  async call<S extends DescService, T>(
    service: ServiceName,
    descriptor: S,
    use: (client: GrpcClient<S>) => Promise<T>,
  ): Promise<T> {
    const address = this.address(service);
    const token = signToken(this.secret, {
      sub: `admin:${this.staff}`,
      aud: service,
      roles: ['admin'],
      ttlSeconds: 300,
    });
    const client = createClient(descriptor, address, {
      defaultTimeoutMs: this.timeoutMs,
      metadata: () => ({ authorization: `Bearer ${token}` }),
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

function safeLogin(): string {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
}

function secretFrom(values: ConnectionValues, env: NodeJS.ProcessEnv): string {
  return readTokenKey({ file: text(values['secret-file']), dataDir: text(values['data-dir']) }, env);
}

/**
 * The key the services check callers' tokens with: the file given (`--secret-file`), else
 * `CANCUOC_AUTH_SECRET`, else the embedded platform's `<data dir>/auth-secret` (`--data-dir`, else
 * `CANCUOC_DATA_DIR`, else `.data`). Every `cancuoc` command finds it this way.
 */
export function readTokenKey(
  options: { readonly file?: string | undefined; readonly dataDir?: string | undefined },
  env: NodeJS.ProcessEnv,
): string {
  if (options.file !== undefined) return readKeyFile(options.file, '--secret-file');
  if (env.CANCUOC_AUTH_SECRET) return env.CANCUOC_AUTH_SECRET;
  const file = join(options.dataDir ?? env.CANCUOC_DATA_DIR ?? '.data', 'auth-secret');
  return readKeyFile(
    file,
    `the embedded platform's key ${file} (start it with npm start, or set CANCUOC_AUTH_SECRET)`,
  );
}

function readKeyFile(path: string, what: string): string {
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch {
    throw new CliError(`cannot read ${what} (${path})`);
  }
  if (Buffer.byteLength(secret) < 32) throw new CliError(`${what} holds no token key (32+ bytes)`);
  return secret;
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
    return new CliError(`${service} at ${address} refused the token: is the token key the service's?`);
  const name = status[details.code] ?? String(details.code);
  return new CliError(`${service} at ${address}: ${name}: ${details.message}`);
}
