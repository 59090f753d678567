/**
 * The embedded platform as a newcomer runs it: `cancuoc start` as a process of its own (so its CPU
 * time and resident memory are its own), on a fresh data folder, with free ports; the demo's callers
 * take their tokens from its development issuer, as the other `cancuoc` commands do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCancuoc, type RunningCli } from '@cancuoc/testing';
import { Database } from '@cancuoc/eventstore';
import { Connection, SERVICES, type ServiceName } from '@cancuoc/platform';
import type { StoreLocation } from './stages.js';

export interface EmbeddedPlatform {
  readonly connection: Connection;
  readonly pid: number;
  /** Each service's PGlite folder, to read once the platform has stopped. */
  readonly stores: ReadonlyMap<ServiceName, StoreLocation>;
  /** Records on the in-process transport's log (read once the platform has stopped). */
  records(): Promise<number>;
  /** SIGTERM, as Ctrl-C: the work in flight is finished first. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startEmbeddedPlatform(): Promise<EmbeddedPlatform> {
  const folder = await mkdtemp(join(tmpdir(), 'cancuoc-bench-embedded-'));
  const dataDir = join(folder, 'data');
  let cli: RunningCli | undefined;
  const stop = async () => {
    if (!cli || cli.child.exitCode !== null || cli.child.signalCode !== null) return;
    cli.child.kill('SIGTERM');
    const run = await cli.exit;
    if (run.code !== 0) throw new Error(`cancuoc start exited ${run.code}: ${run.stderr.slice(-2000)}`);
  };
  const dispose = async () => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await rm(folder, { recursive: true, force: true });
  };
  try {
    cli = spawnCancuoc(['start', '--data-dir', dataDir, ...SERVICES.flatMap((s) => [`--${s}-port`, '0'])], {
      OTEL_SDK_DISABLED: 'true',
      CANCUOC_OIDC_ISSUER: '',
      CANCUOC_TOKEN: '',
    });
    await cli.until('stderr', /Cancuoc is running/, 180_000);
    const addresses = Object.fromEntries(
      SERVICES.map((s) => {
        const address = new RegExp(`^\\s+${s}\\s+(\\S+)`, 'm').exec(cli!.stderr())?.[1];
        if (!address) throw new Error(`cancuoc start did not say where ${s} listens: ${cli!.stderr()}`);
        return [s, address];
      }),
    ) as Record<ServiceName, string>;
    const connection = Connection.from({ ...addresses, 'data-dir': dataDir }, {});
    return {
      connection,
      pid: cli.child.pid!,
      stores: new Map(SERVICES.map((s) => [s, { dataDir: join(dataDir, s) }])),
      async records() {
        const log = await Database.connect({ dataDir: join(dataDir, 'events') });
        try {
          const [row] = await log.query<{ n: string }>('SELECT count(*)::text AS n FROM mq_records');
          return Number(row!.n);
        } finally {
          await log.close();
        }
      },
      async stop() {
        connection.close();
        await stop();
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
