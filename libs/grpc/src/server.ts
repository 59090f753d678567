import * as grpc from '@grpc/grpc-js';
import { healthService, HealthStatus, OVERALL_HEALTH, ServingStatus } from './health.js';
import { stderrLogger, type GrpcLogger } from './logger.js';
import { reflectionService } from './reflection.js';
import {
  grpcImplementation,
  grpcServiceDefinition,
  type HandlerRuntime,
  type ServiceRegistration,
} from './service.js';

export interface GrpcServerOptions {
  /** 0 picks a free port (see {@link RunningGrpcServer.port}). */
  readonly port: number;
  /** Default `0.0.0.0`. */
  readonly host?: string;
  /** The application's services (from `defineService`). Health and reflection are added. */
  readonly services: readonly ServiceRegistration[];
  /** Default insecure (plaintext); pass `grpc.ServerCredentials.createSsl(…)` for (m)TLS. */
  readonly credentials?: grpc.ServerCredentials;
  /** Receives unexpected handler exceptions. Default: JSON lines on stderr without messages. */
  readonly logger?: GrpcLogger;
  /** Serve `grpc.reflection.v1`/`v1alpha`. Default true. */
  readonly reflection?: boolean;
  /** How long `shutdown()` lets in-flight calls finish before cancelling them. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  readonly serverOptions?: grpc.ServerOptions;
  /**
   * A second, plaintext listener serving only `grpc.health.v1` (sharing this server's statuses),
   * for probes that cannot present a client certificate — the kubelet's gRPC probe. It serves no
   * application service and no reflection; see {@link healthListenerFromEnv}.
   */
  readonly healthListener?: { readonly host: string; readonly port: number };
}

/**
 * `CANCUOC_HEALTH_HOST` (default `0.0.0.0`) and `CANCUOC_HEALTH_PORT`: the health-only listener of
 * a server on mutual TLS (the manifests set the pod's IP and 8081). Unset: none.
 */
export function healthListenerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { host: string; port: number } | undefined {
  const raw = env.CANCUOC_HEALTH_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`CANCUOC_HEALTH_PORT must be a port number, not "${raw}"`);
  return { host: env.CANCUOC_HEALTH_HOST || '0.0.0.0', port };
}

export interface RunningGrpcServer {
  readonly server: grpc.Server;
  /** The bound port (the chosen one when `port` was 0). */
  readonly port: number;
  /** `host:port` a client on this machine can dial. */
  readonly address: string;
  /** Per-service serving status behind `grpc.health.v1.Health`. */
  readonly health: HealthStatus;
  /** The health-only listener's port, when one was asked for. */
  readonly healthPort: number | undefined;
  /**
   * Graceful shutdown: marks every service NOT_SERVING, aborts `call.draining`, ends health Watch
   * streams, refuses new calls and waits for in-flight ones (`tryShutdown`); after `timeoutMs`
   * cancels what is left (`forceShutdown`). Resolves with whether it had to force.
   */
  shutdown(timeoutMs?: number): Promise<{ forced: boolean }>;
}

function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function bind(
  server: grpc.Server,
  host: string,
  port: number,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  const bindHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
}

/**
 * Starts a gRPC server with the given services plus `grpc.health.v1.Health` (each service and the
 * server as a whole SERVING once bound) and server reflection over the same descriptors.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const host = options.host ?? '0.0.0.0';
  const logger = options.logger ?? stderrLogger;
  const draining = new AbortController();
  const runtime: HandlerRuntime = { logger, draining: draining.signal };
  const health = new HealthStatus();
  const server = new grpc.Server(options.serverOptions);

  const registrations = [...options.services, healthService(health)];
  const names = new Set<string>();
  for (const registration of registrations) {
    const name = registration.service.typeName;
    if (names.has(name)) throw new Error(`service ${name} is registered twice`);
    names.add(name);
    server.addService(grpcServiceDefinition(registration.service), grpcImplementation(registration, runtime));
  }
  if (options.reflection ?? true) {
    reflectionService(registrations.map((r) => r.service)).addToServer(server);
  }

  const port = await bind(
    server,
    host,
    options.port,
    options.credentials ?? grpc.ServerCredentials.createInsecure(),
  );
  let healthServer: grpc.Server | undefined;
  let healthPort: number | undefined;
  if (options.healthListener) {
    healthServer = new grpc.Server();
    const registration = healthService(health);
    healthServer.addService(
      grpcServiceDefinition(registration.service),
      grpcImplementation(registration, runtime),
    );
    healthPort = await bind(
      healthServer,
      options.healthListener.host,
      options.healthListener.port,
      grpc.ServerCredentials.createInsecure(),
    );
  }
  health.set(OVERALL_HEALTH, ServingStatus.SERVING);
  for (const registration of options.services)
    health.set(registration.service.typeName, ServingStatus.SERVING);

  let stopping: Promise<{ forced: boolean }> | undefined;
  const shutdown = (timeoutMs = options.shutdownTimeoutMs ?? 10_000) => {
    stopping ??= new Promise<{ forced: boolean }>((resolve) => {
      health.setAll(ServingStatus.NOT_SERVING);
      draining.abort();
      health.close();
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        server.forceShutdown();
      }, timeoutMs);
      server.tryShutdown((error) => {
        clearTimeout(timer);
        if (error) {
          logger.error('grpc.shutdown_failed', { error });
          forced = true;
          server.forceShutdown();
        }
        // Probes see NOT_SERVING until the application server is gone.
        healthServer?.forceShutdown();
        resolve({ forced });
      });
    });
    return stopping;
  };

  return { server, port, address: `${dialHost(host)}:${port}`, health, healthPort, shutdown };
}
