import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevelopmentIssuer, developmentIssuerFile } from '@cancuoc/auth';

/** The registry's executable: run as a process, never imported (services share only contracts). */
const REGISTRY_MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../../registry/dist/main.js');

export interface RegistryProcess {
  readonly port: number;
  readonly address: string;
  /**
   * The platform folder: the registry's data in `registry/`, the development issuer in
   * `issuer.json` (the embedded layout, so `cancuoc` commands find it with `CANCUOC_DATA_DIR`).
   */
  readonly folder: string;
  /** The development issuer the registry trusts, shared with the test and enrollment. */
  readonly issuer: DevelopmentIssuer;
  /** SIGTERM and wait: the registry is down until `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

async function launch(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [REGISTRY_MAIN, '--migrate'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${stderr}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'registry started' && entry.port) {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // a partial line; wait for the rest
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}: ${stderr}`));
    });
  });
  child.stdout!.resume();
  return { child, port };
}

/**
 * The real registry as a child process: `node services/registry/dist/main.js --migrate` as the
 * embedded platform runs it — PGlite in a folder of its own, and the development issuer of that
 * folder's parent, which the test opens first and mints every caller's token from (a server-mode
 * registry would need an OpenID provider and mutual TLS; enrollment's side of those is its own
 * configuration, tested in main.spec.ts).
 */
export async function startRegistryProcess(): Promise<RegistryProcess> {
  const folder = await mkdtemp(join(tmpdir(), 'cancuoc-enrollment-registry-'));
  const issuer = await DevelopmentIssuer.open(developmentIssuerFile(folder));
  const env: Record<string, string> = {
    DATA_DIR: join(folder, 'registry'),
    REGISTRY_GRPC_HOST: '127.0.0.1',
    REGISTRY_GRPC_PORT: '0',
  };
  let first;
  try {
    first = await launch(env);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const port = first.port;
  let child = first.child;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    folder,
    issuer,
    stop,
    async restart() {
      await stop();
      ({ child } = await launch({ ...env, REGISTRY_GRPC_PORT: String(port) }));
    },
    async close() {
      await stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
