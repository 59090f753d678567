import { AuditLog } from '@cancuoc/audit';
import { Database } from '@cancuoc/eventstore';
import { createLogger, logLevelFromEnv, type Logger } from '@cancuoc/observability';
import { startTelemetry, type Telemetry } from '@cancuoc/observability/sdk';
import { ConfigError } from './config.js';

/** What a running service offers its process: where it listens, and how it stops. */
export interface RunningService {
  readonly grpc: { readonly port: number };
  /** Stops taking calls, finishes the work in flight, closes its connections. */
  stop(): Promise<void>;
}

/** Where a service keeps its data: a server, or a PGlite folder. */
export interface StorageLocation {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string | undefined;
}

/** How one service is configured, migrated and started: what its `main.ts` hands to `runServiceMain`. */
export interface ServiceMainSpec<Storage extends StorageLocation, Config> {
  /** `registry`, `enrollment`, …: the log lines' `service` and the telemetry's service name. */
  readonly name: string;
  /** The storage part of the configuration: all the migration job has. */
  readonly storageConfigFromEnv: (env: NodeJS.ProcessEnv) => Storage;
  readonly configFromEnv: (env: NodeJS.ProcessEnv) => Config;
  /** Applies pending migrations; the names applied. */
  readonly migrate: (storage: Storage) => Promise<readonly string[]>;
  /** The service's audit chain (`@cancuoc/audit`), checked by `main.js verify-audit`. */
  readonly auditChain: string;
  /**
   * True when the configuration names no database server: the service migrates its own PGlite.
   * Default: no `databaseUrl`.
   */
  readonly embedded?: (config: Config) => boolean;
  readonly start: (config: Config, context: { migrate: boolean; logger: Logger }) => Promise<RunningService>;
  /**
   * The configuration error class: its message is shown as it is (it names a variable, never a
   * secret). Default: the chassis' {@link ConfigError}.
   */
  readonly configError?: new (...args: never[]) => Error;
}

export interface ProcessContext {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly exit: (code: number) => void;
  /** Registers the signal handlers that stop the service. */
  readonly onSignal: (signal: 'SIGTERM' | 'SIGINT', handler: () => void) => void;
  readonly logger?: Logger;
}

const unconfiguredDatabase = (config: unknown) => !(config as { databaseUrl?: unknown }).databaseUrl;

const nodeProcess = (): ProcessContext => ({
  argv: process.argv.slice(2),
  env: process.env,
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => void process.once(signal, handler),
});

/**
 * A service's executable, the same for every service (docs/conventions.md):
 * - `main.js migrate` applies pending migrations with only the storage configuration and exits 0;
 * - `main.js verify-audit` re-derives the audit log's hash chain with only the storage
 *   configuration: exit 0 when it holds, 2 at the first broken link (the line says where and how);
 * - `main.js [--migrate]` starts telemetry first, then the service (migrating first when asked, or
 *   always when embedded), logs where it listens, and on SIGTERM or SIGINT stops the service, then
 *   flushes telemetry last, and exits 0 (1 if stopping failed);
 * - a refused configuration exits 1 with the refusal's message; any other start-up failure exits 1
 *   with the error's class only, since driver messages may carry data that is not ours to log.
 */
export async function runServiceMain<Storage extends StorageLocation, Config>(
  spec: ServiceMainSpec<Storage, Config>,
  context: ProcessContext = nodeProcess(),
): Promise<void> {
  const logger =
    context.logger ??
    createLogger({
      service: context.env.OTEL_SERVICE_NAME || spec.name,
      level: logLevelFromEnv(context.env),
    });
  let telemetry: Telemetry | undefined;
  try {
    if (context.argv[0] === 'migrate') {
      const applied = await spec.migrate(spec.storageConfigFromEnv(context.env));
      logger.info(`${spec.name} migrated`, { applied });
      context.exit(0);
      return;
    }
    if (context.argv[0] === 'verify-audit') {
      context.exit(await verifyAudit(spec, context, logger));
      return;
    }
    const config = spec.configFromEnv(context.env);
    // The SDK reads its OTEL_* variables from process.env itself.
    telemetry = await startTelemetry({ serviceName: spec.name, logger });
    const running = await spec.start(config, {
      migrate: context.argv.includes('--migrate') || (spec.embedded ?? unconfiguredDatabase)(config),
      logger,
    });
    logger.info(`${spec.name} started`, {
      port: running.grpc.port,
      traces: telemetry.traces,
      metrics: telemetry.metrics,
    });
    const started = telemetry;
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${spec.name} stopping`, { signal });
      void running
        .stop()
        .then(
          () => 0,
          (error: unknown) => {
            logger.error(`${spec.name} stop failed`, { error });
            return 1;
          },
        )
        .then(async (code) => {
          await started.shutdown();
          context.exit(code);
        });
    };
    context.onSignal('SIGTERM', () => stop('SIGTERM'));
    context.onSignal('SIGINT', () => stop('SIGINT'));
  } catch (error) {
    if (error instanceof (spec.configError ?? ConfigError))
      logger.error(`${spec.name} configuration refused`, { problem: error.message });
    else {
      const problem = unreachableServer(error);
      logger.error(`${spec.name} start-up failed`, problem ? { problem, error } : { error });
    }
    await telemetry?.shutdown();
    context.exit(1);
  }
}

async function verifyAudit<Storage extends StorageLocation, Config>(
  spec: ServiceMainSpec<Storage, Config>,
  context: ProcessContext,
  logger: Logger,
): Promise<number> {
  const storage = spec.storageConfigFromEnv(context.env);
  const db = await Database.connect({ databaseUrl: storage.databaseUrl, dataDir: storage.dataDir });
  try {
    const result = await new AuditLog(db, { chain: spec.auditChain }).verify();
    const fields = Object.fromEntries(
      Object.entries(result).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
    );
    if (result.ok) logger.info(`${spec.name} audit log verified`, fields);
    else logger.error(`${spec.name} audit log broken`, fields);
    return result.ok ? 0 : 2;
  } finally {
    await db.close();
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/** The servers a service connects to at start-up, told apart by the driver in the error's stack. */
const SERVERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/kafkajs/i, 'the Kafka brokers (KAFKA_BROKERS)'],
  [/ioredis/i, 'Redis (REDIS_URL)'],
  [/[/\\]pg(-pool)?[/\\]|postgres/i, 'the PostgreSQL server (DATABASE_URL)'],
];

/**
 * One line an SRE can act on when start-up failed because a server did not answer: which server
 * (by the variable that names it) and the network error's code. Never the driver's message, which
 * may quote a host, a user or data.
 */
export function unreachableServer(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift() as {
      code?: unknown;
      name?: unknown;
      stack?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const stack = typeof e.stack === 'string' ? e.stack : '';
    const kafka =
      typeof e.name === 'string' && e.name.startsWith('KafkaJS') && /Connection|Retries/.test(e.name);
    if ((typeof e.code === 'string' && NETWORK_CODES.has(e.code)) || kafka) {
      const server = kafka ? SERVERS[0] : SERVERS.find(([pattern]) => pattern.test(stack));
      const code = typeof e.code === 'string' ? e.code : String(e.name);
      return `${server?.[1] ?? 'a server'} did not answer (${code})`;
    }
    queue.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return undefined;
}
