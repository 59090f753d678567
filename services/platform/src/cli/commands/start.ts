import { relative } from 'node:path';
import { SERVICES, type ServiceName } from '../../services.js';
import { integerFlag, parseFlags } from '../args.js';
import { CliFailure, EXIT, type CliCommand } from '../command.js';

const usage = `cancuoc start: run the whole platform in this process (embedded mode)

The four services on PGlite in DIR (one folder each), the in-process event transport and in-memory
caches: nothing to install. Runs until Ctrl-C (SIGINT) or SIGTERM, then finishes the work in flight
and stops; a restart continues from DIR. What \`npm start\` runs.

Every service trusts the tokens of the platform's development issuer, whose keys are in
DIR/issuer.json (readable by you only): the other commands mint theirs from it, and
\`cancuoc token\` prints one.

gRPC is plaintext, on loopback only. With --tls, or --host beyond loopback, it is mutual TLS: a
development CA in DIR/ca (made the first time; its key, like the issuer's, lets whoever reads it
be anyone) issues each service its own certificate (DIR/tls/<service>/), and the other commands,
given the same DIR, issue their own from it (DIR/tls/clients/). A DIR with a CA stays on mutual
TLS: remove DIR/ca and DIR/tls to go back to plaintext. CANCUOC_TLS_* (one certificate for four
services) is refused.

Usage: cancuoc start [options]

Options:
  --data-dir DIR                 where everything is kept (default: $CANCUOC_DATA_DIR or .data)
  --host HOST                    interface to listen on (default 127.0.0.1; any other is mutual TLS)
  --tls                          mutual TLS on loopback too, from the development CA in DIR/ca
  --registry-port N              default $REGISTRY_GRPC_PORT or 50051
  --enrollment-port N            default $ENROLLMENT_GRPC_PORT or 50052
  --card-production-port N       default $CARD_PRODUCTION_GRPC_PORT or 50053
  --data-sharing-port N          default $DATA_SHARING_GRPC_PORT or 50054
                                 (0 picks a free port)
  -h, --help                     this text

Exit codes: 0 stopped cleanly, 1 failed to start or to stop, 2 bad usage.
`;

/** Configuration the user can fix (a variable, a certificate file): one line, not a stack. */
const CONFIG_ERRORS = new Set(['PlatformConfigError', 'ConfigError', 'TlsConfigError', 'AuthConfigError']);

const isAddressInUse = (error: unknown) =>
  (error as { code?: string })?.code === 'EADDRINUSE' ||
  /address already in use|EADDRINUSE/i.test(String((error as Error)?.message));

export const startCommand: CliCommand = {
  name: 'start',
  summary: 'run the whole platform in this process (embedded: PGlite, no server needed)',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
      'registry-port': { type: 'string' },
      'enrollment-port': { type: 'string' },
      'card-production-port': { type: 'string' },
      'data-sharing-port': { type: 'string' },
    });
    const ports: Partial<Record<ServiceName, number>> = {};
    for (const service of SERVICES) {
      const raw = flags[`${service}-port`];
      if (raw !== undefined) ports[service] = integerFlag(`${service}-port`, raw, 0, 0, 65_535);
    }
    io.stderr('Starting Cancuoc (embedded)…\n');
    // Loaded here, not at the top: the other commands start without loading the four services.
    const { startPlatform } = await import('../../platform.js');
    let platform;
    try {
      platform = await startPlatform({
        dataDir: flags['data-dir'] ?? io.env.CANCUOC_DATA_DIR,
        host: flags.host,
        tls: flags.tls,
        ports,
        env: io.env,
      });
    } catch (error) {
      if (isAddressInUse(error))
        throw new CliFailure(
          'a port is already in use: is Cancuoc already running? (or choose --<service>-port)',
        );
      if (CONFIG_ERRORS.has((error as Error)?.name)) throw new CliFailure((error as Error).message);
      throw error;
    }
    const inside = relative(process.cwd(), platform.dataDir);
    const shown = inside && !inside.startsWith('..') ? inside : platform.dataDir;
    io.stderr(
      [
        `Cancuoc is running: PGlite in ${shown}/, in-process events, in-memory cache.`,
        ...SERVICES.map((s) => `  ${s.padEnd(16)} ${platform.addresses[s]}  (gRPC, health, reflection)`),
        platform.transport.mode === 'mtls'
          ? `gRPC: mutual TLS (development CA in ${shown}/ca): each service its own certificate in ${shown}/tls/; the commands given this data folder issue theirs.`
          : 'gRPC: plaintext on loopback (embedded development mode; --tls for mutual TLS).',
        `Tokens: the development issuer ${shown}/issuer.json (cancuoc token prints one). In another terminal: npx cancuoc demo`,
        'Ctrl-C stops it; a restart continues from where it stopped.',
        '',
      ].join('\n'),
    );
    if (!io.signal) throw new CliFailure('start needs a signal to stop on');
    if (!io.signal.aborted)
      await new Promise((resolve) => io.signal!.addEventListener('abort', resolve, { once: true }));
    io.stderr('Stopping: finishing the work in flight…\n');
    await platform.stop();
    io.stderr('Stopped.\n');
    return EXIT.ok;
  },
};
