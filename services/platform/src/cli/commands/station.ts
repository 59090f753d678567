import { readFile } from 'node:fs/promises';
import { identities } from '@cancuoc/auth';
import { trustedCscas } from '../../flow/demo.js';
import { integerFlag, parseFlags } from '../args.js';
import { CliFailure, EXIT, UsageError, type CliCommand } from '../command.js';
import { CONNECTION_FLAGS, CONNECTION_USAGE, Connection } from '../connection.js';

const usage = `cancuoc station: run encoding stations (card production's station simulator)

Each station streams card jobs, parses every data group, checks the chip data by passive
authentication against the CSCA, writes a simulated chip, reads it back and completes the job.
One line per event on stdout (--json: JSON lines). Runs until Ctrl-C or SIGTERM, or until --jobs
are settled. On Ctrl-C a station takes no other job — it closes its job stream — and settles the
ones in hand, heartbeating their leases until then, so none is left leased to it; then it prints
what it did on stderr. A second Ctrl-C stops at once: a lease then left runs out (60 s by default)
and the job goes to another station.

Usage: cancuoc station [options]

Options:
  --station-id ID     the station's id, station:<ID> (default dev-01; with --stations N, ID-1 … ID-N)
  --stations N        stations in this process (default 1)
  --capacity N        jobs each station holds at once, 1-64 (default 2)
  --jobs N            each station does N jobs, then stops (default: until stopped)
  --encode-ms MS      time one chip takes to write (default 0)
  --csca FILE         CSCA certificate (PEM or DER) to trust (default: card production's GetTrustAnchors)
  --out DIR           keep the chip images there
  --json              JSON lines
  -h, --help          this text
${CONNECTION_USAGE}
Exit codes: 0 done or stopped (Ctrl-C, SIGTERM), 1 failed (card production not reachable, refused),
2 bad usage, 130 a second Ctrl-C.
`;

async function cscas(
  connection: Connection,
  file: string | undefined,
  station: string,
): Promise<Uint8Array[]> {
  if (file) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw new CliFailure(`cannot read the CSCA certificate ${file}`);
    }
    const text = bytes.toString('latin1');
    if (!text.includes('-----BEGIN')) return [new Uint8Array(bytes)];
    const body = text.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, '');
    return [new Uint8Array(Buffer.from(body, 'base64'))];
  }
  return trustedCscas(connection, identities.encodingStation(station));
}

export const stationCommand: CliCommand = {
  name: 'station',
  summary: 'run encoding stations that write the chips (passive authentication first)',
  usage,
  async run(argv, io) {
    const flags = parseFlags(argv, {
      ...CONNECTION_FLAGS,
      'station-id': { type: 'string' },
      stations: { type: 'string' },
      capacity: { type: 'string' },
      jobs: { type: 'string' },
      'encode-ms': { type: 'string' },
      csca: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    });
    const id = flags['station-id'] ?? 'dev-01';
    if (!/^[A-Za-z0-9._-]{1,60}$/.test(id))
      throw new UsageError('--station-id: 1-60 of A-Z, a-z, 0-9, ., _ and -');
    const count = integerFlag('stations', flags.stations, 1, 1, 256);
    const capacity = integerFlag('capacity', flags.capacity, 2, 1, 64);
    const maxJobs = flags.jobs === undefined ? undefined : integerFlag('jobs', flags.jobs, 0, 1);
    const encodeMs = integerFlag('encode-ms', flags['encode-ms'], 0, 0, 600_000);
    const connection = Connection.from(flags, io.env);
    if (count > 1 && !connection.credentials.perIdentity)
      throw new UsageError(
        `each station has its own credential, and ${connection.credentials.source} is one: --stations needs the embedded platform`,
      );
    try {
      await connection.expectServing(['card-production']);
      const ids = Array.from({ length: count }, (_, i) => (count === 1 ? id : `${id}-${i + 1}`));
      await connection.prepare(ids.map((stationId) => identities.encodingStation(stationId)));
      const trusted = await cscas(connection, flags.csca, ids[0]!);
      const { StationSimulator } = await import('@cancuoc/card-production');
      const stations = ids.map((stationId) => {
        // Embedded: a token minted for station:<id> (on mutual TLS, a certificate issued to it by
        // the platform's CA). Server mode: the station's own client key (CANCUOC_CLIENT_ID,
        // CANCUOC_CLIENT_KEY_FILE) and certificate (CANCUOC_TLS_*).
        const { tokens, tls } = connection.as(identities.encodingStation(stationId));
        return new StationSimulator({
          address: connection.addresses['card-production'],
          tokens,
          credentials: connection.channel(tls),
          capacity,
          trustedCscas: trusted,
          outDir: flags.out,
          encodeMs,
          maxJobs,
          log: (e) =>
            io.stdout(
              flags.json
                ? `${JSON.stringify({ station: stationId, ...e })}\n`
                : `${stationId} ${e.event}${e.jobId ? ` job ${e.jobId}` : ''}${e.chipSerial ? ` chip ${e.chipSerial}` : ''}${e.detail ? ` (${e.detail})` : ''}\n`,
            ),
        });
      });
      if (io.signal?.aborted) {
        io.stderr('stopped before a station started\n');
        return EXIT.ok;
      }
      const stop = () => {
        const held = stations.reduce((n, s) => n + s.inHandCount, 0);
        io.stderr(
          `Stopping: taking no other job, settling the ${held} in hand (Ctrl-C again stops at once)…\n`,
        );
        void Promise.all(stations.map((s) => s.stop()));
      };
      io.signal?.addEventListener('abort', stop, { once: true });
      for (const s of stations) s.start();
      let summaries;
      try {
        summaries = await Promise.all(stations.map((s) => s.done));
      } catch (error) {
        await Promise.all(stations.map((s) => s.stop()));
        throw new CliFailure(`a station stopped: ${(error as Error).message}`);
      } finally {
        io.signal?.removeEventListener('abort', stop);
      }
      const total = summaries.reduce((a, s) => ({
        completed: a.completed + s.completed,
        failed: a.failed + s.failed,
        voided: a.voided + s.voided,
      }));
      io.stderr(
        `stations ${io.signal?.aborted ? 'stopped' : 'settled'}: ${total.completed} completed, ${total.failed} failed, ` +
          `${total.voided} chips voided; no job left in hand\n`,
      );
      return EXIT.ok;
    } finally {
      connection.close();
    }
  },
};
