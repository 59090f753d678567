import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The registry's executable: run as a process, never imported (services share only contracts). */
const REGISTRY_MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../../registry/dist/main.js');

export interface RegistryProcess {
  readonly port: number;
  readonly address: string;
  /** SIGTERM and wait: the registry is down until `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
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
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${stderr}`)), 60_000);
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
 * The real registry as a child process: `node services/registry/dist/main.js --migrate` on its own
 * database (a PostgreSQL URL, or a PGlite folder for the embedded tests).
 */
export async function startRegistryProcess(options: {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly authSecret: string;
}): Promise<RegistryProcess> {
  const env: Record<string, string> = {
    CANCUOC_AUTH_SECRET: options.authSecret,
    REGISTRY_GRPC_HOST: '127.0.0.1',
    REGISTRY_GRPC_PORT: '0',
    ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl }),
    ...(options.dataDir && { DATA_DIR: options.dataDir }),
  };
  const first = await launch(env);
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
    stop,
    async restart() {
      await stop();
      ({ child } = await launch({ ...env, REGISTRY_GRPC_PORT: String(port) }));
    },
  };
}
