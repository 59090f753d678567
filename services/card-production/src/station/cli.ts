#!/usr/bin/env node
/**
 * The encoding-station simulator, the reference client for station vendors. See --help.
 * Exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused (token, role, or trust anchor), 130 stopped
 * by SIGINT/SIGTERM after finishing the jobs in hand.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { signToken } from '@cancuoc/grpc';
import { PkiError, readCertificate } from '@cancuoc/icao9303';
import { pemBody } from '../infrastructure/keys/pem.js';
import { SimulatorRefusedError, StationSimulator } from './simulator.js';

const HELP = `cancuoc-station-simulator: an encoding station for card production

Receives card jobs over EncodingStationService/StreamJobs, parses every data group, performs passive
authentication against the CSCA, writes a simulated chip image, reads it back, and completes the job
with the chip serial and the SHA-256 of the files read back. Heartbeats its leases; reconnects.

Usage:
  cancuoc-station-simulator --csca FILE (--token TOKEN | --secret SECRET --station-id ID) [options]

Options:
  --address HOST:PORT   card production (default: $CARD_PRODUCTION_ADDRESS or 127.0.0.1:50053)
  --csca FILE           CSCA certificate to trust, PEM or DER; repeat for several
  --token TOKEN         bearer token (default: $CARD_PRODUCTION_STATION_TOKEN)
  --secret SECRET       development only: sign a token with this key ($CANCUOC_AUTH_SECRET)
  --station-id ID       the station's id when signing a token (station:<ID>)
  --capacity N          jobs held at once by each station, 1-64 (default 1)
  --stations N          run N stations in this process, <ID>-1 … <ID>-N (needs --secret; load tests)
  --jobs N              each station stops after settling N jobs (default: run until stopped)
  --encode-ms MS        time one chip takes to write (default 0)
  --out DIR             write chip images here (default: keep them in memory)
  --json                one JSON line per event on stdout
  -h, --help            this text

Exit codes: 0 done, 1 failed, 2 bad arguments, 3 refused (token, role, CSCA), 130 stopped by a signal.
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
        secret: { type: 'string' },
        'station-id': { type: 'string' },
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
  const secret = args.secret ?? process.env.CANCUOC_AUTH_SECRET;
  const given = args.token ?? process.env.CARD_PRODUCTION_STATION_TOKEN;
  let tokens: string[];
  if (given) {
    if (stations > 1)
      throw new UsageError('a token names one station: --stations needs --secret and --station-id');
    tokens = [given];
  } else {
    const id = args['station-id'];
    if (!secret || !id) throw new UsageError('give --token, or --secret with --station-id');
    if (!/^[A-Za-z0-9._-]{1,60}$/.test(id))
      throw new UsageError('--station-id: 1-60 of A-Z, a-z, 0-9, ., _ and -');
    tokens = Array.from({ length: stations }, (_, i) =>
      signToken(secret, {
        sub: `station:${stations === 1 ? id : `${id}-${i + 1}`}`,
        aud: 'card-production',
        roles: ['encoding-station'],
        ttlSeconds: 24 * 3600,
      }),
    );
  }
  const trustedCscas = await Promise.all(args.csca.map(trustAnchor));
  const json = args.json ?? false;
  const simulators = tokens.map(
    (token) =>
      new StationSimulator({
        address: args.address ?? process.env.CARD_PRODUCTION_ADDRESS ?? '127.0.0.1:50053',
        token,
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
