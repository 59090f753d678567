/**
 * N encoding stations in one process for the card production benchmark: card production's own
 * station simulator (its built `dist/station/simulator.js`, loaded by path like the service's
 * executable), each station with its own client key at the OpenID provider and its own
 * certificate, as in server mode every station is a party of its own. (The simulator's CLI runs
 * several stations only on the embedded platform; N stations must not mean N Node runtimes here.)
 *
 *   node test/perf/dist/card-production/stations.js stations.json
 *
 * stations.json: { address, cscaFile, capacity, issuer, stations: [{ id, keyFile, tls }] }.
 * Runs until SIGTERM, then stops the stations (each settles the jobs it holds).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clientCredentials, readPrivateKey, type TokenSource } from '@cancuoc/auth';
import { channelCredentialsFor, type TlsFiles } from '@cancuoc/grpc';

export interface StationsConfig {
  readonly address: string;
  readonly cscaFile: string;
  readonly capacity: number;
  readonly issuer: string;
  readonly stations: readonly { readonly id: string; readonly keyFile: string; readonly tls: TlsFiles }[];
}

/** What this runner uses of card production's `StationSimulator`. */
interface Simulator {
  start(): void;
  stop(): Promise<unknown>;
}
type SimulatorClass = new (options: {
  address: string;
  tokens: TokenSource;
  credentials: ReturnType<typeof channelCredentialsFor>;
  capacity: number;
  trustedCscas: readonly Uint8Array[];
}) => Simulator;

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const SIMULATOR = join(root, 'services/card-production/dist/station/simulator.js');

const config = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as StationsConfig;
const pem = await readFile(config.cscaFile, 'utf8');
const csca = new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
const { StationSimulator } = (await import(pathToFileURL(SIMULATOR).href)) as {
  StationSimulator: SimulatorClass;
};
const stations = await Promise.all(
  config.stations.map(async ({ id, keyFile, tls }) => {
    const privateKey = await readPrivateKey(keyFile);
    return new StationSimulator({
      address: config.address,
      tokens: clientCredentials({ issuer: config.issuer, clientId: `station:${id}`, privateKey }),
      credentials: channelCredentialsFor(tls),
      capacity: config.capacity,
      trustedCscas: [csca],
    });
  }),
);
for (const station of stations) station.start();
process.once('SIGTERM', () => {
  void Promise.all(stations.map((s) => s.stop())).then(() => process.exit(0));
});
