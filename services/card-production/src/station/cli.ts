#!/usr/bin/env node
/**
 * The encoding-station simulator, the reference client for station vendors. See --help.
 * Exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused (credential, token, role, or trust
 * anchor), 130 stopped by SIGINT/SIGTERM after finishing the jobs in hand.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { TokenSource } from '@cancuoc/auth';
import { channelCredentialsFor, TlsConfigError, tlsFilesFromEnv } from '@cancuoc/grpc';
import { PkiError, readCertificate } from '@cancuoc/icao9303';
import { pemBody } from '../infrastructure/keys/pem.js';
import { givenToken, serverMode, STATION_ID, StationCredentialsError, stationTokens } from './credentials.js';
import { SimulatorRefusedError, StationSimulator } from './simulator.js';

const HELP = `cancuoc-station-simulator: an encoding station for card production

Receives card jobs over EncodingStationService/StreamJobs, parses every data group, performs passive
authentication against the CSCA, writes a simulated chip image, reads it back, and completes the job
with the chip serial and the SHA-256 of the files read back. Heartbeats its leases; reconnects.

Usage:
  cancuoc-station-simulator --csca FILE --station-id ID [options]
  cancuoc-station-simulator --csca FILE --token TOKEN [options]

Options:
  --address HOST:PORT   card production (default: $CARD_PRODUCTION_ADDRESS or 127.0.0.1:50053)
  --csca FILE           CSCA certificate to trust, PEM or DER; repeat for several
  --station-id ID       the station (station:<ID>), with its own credential: with $CANCUOC_OIDC_ISSUER,
                        OAuth client credentials as $CANCUOC_CLIENT_ID (default station:<ID>) signed
                        with the key in $CANCUOC_CLIENT_KEY_FILE; else tokens from the embedded
                        platform's development issuer in --data-dir
  --token TOKEN         a bearer token instead (default: $CARD_PRODUCTION_STATION_TOKEN)
  --data-dir DIR        the embedded platform's folder (default: $CANCUOC_DATA_DIR or .data)
  --capacity N          jobs held at once by each station, 1-64 (default 1)
  --stations N          run N stations in this process, <ID>-1 … <ID>-N (embedded platform; load tests)
  --jobs N              each station stops after settling N jobs (default: run until stopped)
  --encode-ms MS        time one chip takes to write (default 0)
  --out DIR             write chip images here (default: keep them in memory)
  --json                one JSON line per event on stdout
  -h, --help            this text

Mutual TLS when CANCUOC_TLS_CERT_FILE, CANCUOC_TLS_KEY_FILE and CANCUOC_TLS_CA_FILE are set (the
station's certificate, naming station:<ID> as its tokens do); else plaintext, for loopback.

Exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused (credential, token, role, CSCA), 130 stopped by a signal.
`;

class UsageError extends Error {}

function positiveInteger(
  name: string,
  raw: string | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new UsageError(`--${name} must be an integer from 0 to ${max}`);
  return value;
}

async function trustAnchor(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  const der = bytes.toString('latin1').includes('-----BEGIN')
    ? pemBody(bytes.toString('utf8'))
    : new Uint8Array(bytes);
  const info = readCertificate(der);
  if (!info.isCa) throw new SimulatorRefusedError(`${path} is not a CA certificate`);
  return der;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        address: { type: 'string' },
        csca: { type: 'string', multiple: true },
        token: { type: 'string' },
        'station-id': { type: 'string' },
        'data-dir': { type: 'string' },
        stations: { type: 'string' },
        capacity: { type: 'string' },
        jobs: { type: 'string' },
        'encode-ms': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!args.csca || args.csca.length === 0)
    throw new UsageError('--csca is required: the station must know whom to trust');
  const capacity = positiveInteger('capacity', args.capacity, 1, 64);
  if (capacity < 1) throw new UsageError('--capacity must be at least 1');
  const maxJobs = args.jobs === undefined ? undefined : positiveInteger('jobs', args.jobs, 0);
  const encodeMs = positiveInteger('encode-ms', args['encode-ms'], 0);
  const stations = positiveInteger('stations', args.stations, 1, 256);
  if (stations < 1) throw new UsageError('--stations must be at least 1');
  const env = process.env;
  const id = args['station-id'];
  const given = args.token ?? (id === undefined ? env.CARD_PRODUCTION_STATION_TOKEN : undefined);
  let sources: TokenSource[];
  if (given) {
    if (stations > 1) throw new UsageError('a token names one station: --stations needs --station-id');
    sources = [givenToken(given)];
  } else {
    if (!id) throw new UsageError('give --station-id (the station’s own credential), or --token');
    if (!STATION_ID.test(id)) throw new UsageError('--station-id: 1-60 of A-Z, a-z, 0-9, ., _ and -');
    if (stations > 1 && serverMode(env))
      throw new UsageError('each station has its own client key: --stations needs the embedded platform');
    const dataDir = args['data-dir'] ?? env.CANCUOC_DATA_DIR ?? '.data';
    sources = await Promise.all(
      Array.from({ length: stations }, (_, i) =>
        stationTokens({ stationId: stations === 1 ? id : `${id}-${i + 1}`, env, dataDir }),
      ),
    );
  }
  let credentials;
  try {
    credentials = channelCredentialsFor(tlsFilesFromEnv(env));
  } catch (error) {
    if (error instanceof TlsConfigError) throw new UsageError(error.message);
    throw error;
  }
  const trustedCscas = await Promise.all(args.csca.map(trustAnchor));
  const json = args.json ?? false;
  const simulators = sources.map(
    (tokens) =>
      new StationSimulator({
        address: args.address ?? env.CARD_PRODUCTION_ADDRESS ?? '127.0.0.1:50053',
        tokens,
        credentials,
        capacity,
        trustedCscas,
        outDir: args.out,
        encodeMs,
        maxJobs,
        log: (event) =>
          process.stdout.write(
            json
              ? `${JSON.stringify(event)}\n`
              : `${event.event}${event.jobId ? ` job ${event.jobId}` : ''}${event.chipSerial ? ` chip ${event.chipSerial}` : ''}${event.detail ? ` (${event.detail})` : ''}\n`,
          ),
      }),
  );
  if (maxJobs === 0) return 0;
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(130);
    signalled = true;
    for (const simulator of simulators) void simulator.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  for (const simulator of simulators) simulator.start();
  const summaries = await Promise.all(simulators.map((s) => s.done));
  const total = summaries.reduce((a, s) => ({
    completed: a.completed + s.completed,
    failed: a.failed + s.failed,
    voided: a.voided + s.voided,
  }));
  process.stderr.write(`${JSON.stringify({ ...total, stopped: signalled ? 'signal' : 'done' })}\n`);
  return signalled ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`cancuoc-station-simulator: ${error.message}\nTry --help.\n`);
      process.exit(2);
    }
    if (
      error instanceof SimulatorRefusedError ||
      error instanceof StationCredentialsError ||
      error instanceof PkiError ||
      (error as NodeJS.ErrnoException).code === 'ENOENT'
    ) {
      process.stderr.write(`cancuoc-station-simulator: ${(error as Error).message}\n`);
      process.exit(3);
    }
    process.stderr.write(
      `cancuoc-station-simulator: ${(error as Error).name}: ${(error as Error).message}\n`,
    );
    process.exit(1);
  },
);
