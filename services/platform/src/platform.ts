import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { DevelopmentIssuer, developmentIssuerFile, type AuthConfig } from '@cancuoc/auth';
import {
  configFromEnv as cardProductionConfig,
  startCardProduction,
  type RunningCardProduction,
} from '@cancuoc/card-production';
import { configFromEnv as dataSharingConfig, startDataSharing } from '@cancuoc/data-sharing';
import { configFromEnv as enrollmentConfig, startEnrollment } from '@cancuoc/enrollment';
import { Database } from '@cancuoc/eventstore';
import { DevelopmentCa, isLoopback, type TlsFiles } from '@cancuoc/grpc';
import { InProcessTransport, inProcessLogMigrations } from '@cancuoc/messaging';
import { createLogger, logLevelFromEnv, type Logger } from '@cancuoc/observability';
import { developmentCaDir, developmentTlsDir, hasDevelopmentCa } from '@cancuoc/operations';
import { topicCatalogue } from '@cancuoc/proto';
import { configFromEnv as registryConfig, startRegistry } from '@cancuoc/registry';
import { DEFAULT_PORTS, SERVICES, envName, type ServiceName } from './services.js';

export { DEFAULT_PORTS, SERVICES, envName, type ServiceName };

export interface PlatformOptions {
  /**
   * One folder for everything: a PGlite folder per service, the event log, keys, the development
   * issuer and, on mutual TLS, the development CA (`ca/`) and the certificates (`tls/`).
   */
  readonly dataDir?: string;
  /**
   * Interface the gRPC servers listen on; default 127.0.0.1 (a developer's machine). Any other than
   * loopback is mutual TLS ({@link tls}).
   */
  readonly host?: string;
  /**
   * Mutual TLS on every connection, each service with a certificate of its own from the development
   * CA in `<dataDir>/ca` (made the first time), whatever the host. Without it, mutual TLS all the
   * same when `host` is beyond loopback, or when `dataDir` holds a CA already (a folder that ran on
   * TLS once stays on it); else plaintext on loopback.
   */
  readonly tls?: boolean;
  /** Per-service port; 0 picks a free one. Default: `<NAME>_GRPC_PORT`, else `DEFAULT_PORTS`. */
  readonly ports?: Partial<Record<ServiceName, number>>;
  /** Service settings beyond storage (rate limits, intervals…), read as each service reads them. */
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
}

export interface RunningPlatform {
  readonly dataDir: string;
  /** `host:port` a client on this machine dials, per service. */
  readonly addresses: Readonly<Record<ServiceName, string>>;
  /**
   * The development issuer every service trusts (its keys in `<dataDir>/issuer.json`): the CLI and
   * tests mint the callers' tokens from it (`identities.*` of @cancuoc/auth).
   */
  readonly issuer: DevelopmentIssuer;
  /**
   * How the gRPC servers listen: plaintext on loopback (embedded development mode), or mutual TLS
   * with the development CA in `caDir`, each service presenting its own certificate (`services`,
   * `<dataDir>/tls/<service>/`) to its clients and to the services it calls.
   */
  readonly transport:
    | { readonly mode: 'plaintext-loopback' }
    | {
        readonly mode: 'mtls';
        readonly caDir: string;
        readonly services: Readonly<Record<ServiceName, TlsFiles>>;
      };
  readonly cardProduction: RunningCardProduction;
  /** Stops the services in reverse order, each finishing its work in flight, then closes the event log. */
  stop(): Promise<void>;
}

/**
 * What the embedded platform never takes from the environment: it runs on no server, and its
 * tokens come from its own development issuer, not an OpenID provider.
 */
const SERVER_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'KAFKA_BROKERS',
  'DATA_DIR',
  'CANCUOC_OIDC_ISSUER',
  'CANCUOC_CLIENT_ID',
  'CANCUOC_CLIENT_KEY_FILE',
];

/** One certificate for a server: the embedded platform gives each service its own instead. */
const TLS_VARIABLES = ['CANCUOC_TLS_CERT_FILE', 'CANCUOC_TLS_KEY_FILE', 'CANCUOC_TLS_CA_FILE'];

/** The platform cannot start as configured (one line for the user). */
export class PlatformConfigError extends Error {
  override readonly name = 'PlatformConfigError';
}

interface Stoppable {
  readonly grpc: { readonly port: number; readonly address: string };
  stop(): Promise<void>;
}

/**
 * All four services in one process on the embedded defaults (docs/conventions.md): PGlite in
 * `<dataDir>/<service>`, one in-process transport on its own PGlite log (`<dataDir>/events`) shared
 * by all of them, in-memory caches and limits, one development issuer (`<dataDir>/issuer.json`)
 * whose tokens every service accepts. A restart continues from `dataDir`: every service's relay and
 * consumers resume from their checkpoints in it, and the issuer's keys stay the same. gRPC is
 * plaintext on loopback, or mutual TLS ({@link PlatformOptions.tls}) with a certificate per service
 * from the development CA in `<dataDir>/ca`; `CANCUOC_TLS_*` (one certificate) is refused.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const base = options.env ?? process.env;
  const dataDir = resolve(options.dataDir ?? base.CANCUOC_DATA_DIR ?? '.data');
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger({ service: 'platform', level: logLevelFromEnv(base) });
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of SERVER_VARIABLES) delete env[name];
  if (env.CANCUOC_AUTH_SECRET)
    throw new PlatformConfigError(
      'CANCUOC_AUTH_SECRET is no longer used: the platform makes its tokens with its development issuer (DIR/issuer.json) — unset it',
    );
  if (TLS_VARIABLES.some((name) => env[name]))
    throw new PlatformConfigError(
      `CANCUOC_TLS_* is one certificate, and each of the embedded platform's four services needs its own: unset it — --tls (or --host beyond loopback) issues them from the development CA in ${developmentCaDir(dataDir)}`,
    );
  const secure = usesMutualTls({ tls: options.tls, host, dataDir });

  const portOf = (service: ServiceName): number => {
    const given = options.ports?.[service];
    if (given !== undefined) return given;
    const raw = base[`${envName(service)}_GRPC_PORT`];
    return raw ? Number(raw) : DEFAULT_PORTS[service];
  };
  mkdirSync(dataDir, { recursive: true });
  const certificates = secure ? await serviceCertificates(dataDir, host) : undefined;
  const envOf = (service: ServiceName, peers: Record<string, string>): NodeJS.ProcessEnv => ({
    ...env,
    ...peers,
    DATA_DIR: join(dataDir, service),
    [`${envName(service)}_GRPC_HOST`]: host,
    [`${envName(service)}_GRPC_PORT`]: String(portOf(service)),
    // Its own certificate: the one it serves with, and presents to the services it calls.
    ...(certificates && {
      CANCUOC_TLS_CERT_FILE: certificates[service].certFile,
      CANCUOC_TLS_KEY_FILE: certificates[service].keyFile,
      CANCUOC_TLS_CA_FILE: certificates[service].caFile,
    }),
  });

  const issuer = await DevelopmentIssuer.open(developmentIssuerFile(dataDir));
  const auth: AuthConfig = { mode: 'issuer', issuer };
  const log = await Database.connect({
    dataDir: join(dataDir, 'events'),
    migrations: inProcessLogMigrations,
  });
  const started: Stoppable[] = [];
  let transport: InProcessTransport | undefined;
  const stopAll = async () => {
    for (const running of started.reverse()) await running.stop();
    await transport?.close();
    await log.close();
  };
  try {
    await log.migrate();
    transport = new InProcessTransport({ db: log });
    await transport.createTopics(
      topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
    );
    const shared = { transport, migrate: true };
    const warn = (service: ServiceName) => (error: unknown) =>
      logger.warn(`${service}.background_error`, { error });

    const registry = await startRegistry(
      { ...registryConfig(envOf('registry', {})), auth },
      {
        ...shared,
        logger: logger.child({ component: 'registry' }),
      },
    );
    started.push(registry);
    const enrollment = await startEnrollment(
      {
        ...enrollmentConfig(envOf('enrollment', { ENROLLMENT_REGISTRY_ADDRESS: registry.grpc.address })),
        auth,
      },
      { ...shared, onError: warn('enrollment') },
    );
    started.push(enrollment);
    const cardProduction = await startCardProduction(
      {
        ...cardProductionConfig(
          envOf('card-production', { CARD_PRODUCTION_ENROLLMENT_ADDRESS: enrollment.grpc.address }),
        ),
        auth,
      },
      {
        ...shared,
        onError: (component, error) => logger.warn('card-production.background_error', { component, error }),
      },
    );
    started.push(cardProduction);
    const dataSharing = await startDataSharing(
      { ...dataSharingConfig(envOf('data-sharing', {})), auth },
      {
        ...shared,
        logger: logger.child({ component: 'data-sharing' }),
      },
    );
    started.push(dataSharing);

    const addresses = {
      registry: registry.grpc.address,
      enrollment: enrollment.grpc.address,
      'card-production': cardProduction.grpc.address,
      'data-sharing': dataSharing.grpc.address,
    };
    let stopping: Promise<void> | undefined;
    return {
      dataDir,
      addresses,
      issuer,
      transport: certificates
        ? { mode: 'mtls', caDir: developmentCaDir(dataDir), services: certificates }
        : { mode: 'plaintext-loopback' },
      cardProduction,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * Whether the platform listens on mutual TLS: asked to (`tls`), bound beyond loopback, or in a
 * folder that holds a development CA already — where the `cancuoc` commands take it to be.
 */
export function usesMutualTls(options: {
  readonly tls?: boolean | undefined;
  readonly host: string;
  readonly dataDir: string;
}): boolean {
  return options.tls === true || !isLoopback(options.host) || hasDevelopmentCa(options.dataDir);
}

/** The unspecified addresses: listening on every interface of the machine. */
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The names a client may dial to reach a service listening on `host`: `localhost`, this machine's
 * host name, loopback, and the host itself — or, listening on every interface, each address of
 * the machine. They go into the services' certificates, which clients check the name dialled against.
 */
export function servedNames(host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set(['localhost']);
  const ipAddresses = new Set(['127.0.0.1', '::1']);
  const machine = hostname();
  if (/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(machine)) dnsNames.add(machine);
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (EVERY_INTERFACE.has(host)) {
    for (const addresses of Object.values(networkInterfaces()))
      for (const address of addresses ?? [])
        if (!address.address.includes('%')) ipAddresses.add(address.address);
  } else if (isIP(bare)) ipAddresses.add(bare);
  else dnsNames.add(host);
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/**
 * Each service's certificate, `service:<name>`, issued at every start from the development CA in
 * `<dataDir>/ca` (made the first time) into `<dataDir>/tls/<service>/`, naming where it listens.
 */
async function serviceCertificates(dataDir: string, host: string): Promise<Record<ServiceName, TlsFiles>> {
  let ca: DevelopmentCa;
  try {
    ca = await DevelopmentCa.open(developmentCaDir(dataDir));
  } catch (error) {
    // Half a CA, another's files, an expired one: the message says which and what to do.
    throw new PlatformConfigError((error as Error).message);
  }
  const names = servedNames(host);
  const entries = await Promise.all(
    SERVICES.map(
      async (service) =>
        [
          service,
          await ca.writeIdentity(join(developmentTlsDir(dataDir), service), `service:${service}`, names),
        ] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<ServiceName, TlsFiles>;
}
