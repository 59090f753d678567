import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mainOf = (service: string) =>
  fileURLToPath(new URL(`../../../../services/${service}/dist/main.js`, import.meta.url));

export interface ServiceProcess {
  readonly service: string;
  readonly address: string;
  readonly child: ChildProcess;
  /** The tail of what it wrote on stderr, for a failing assertion. */
  readonly stderr: () => string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `node services/<service>/dist/main.js migrate`: the migration job of server mode. */
export async function migrateService(service: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [mainOf(service), 'migrate'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${service} migrate exited ${code}: ${out.slice(-2000)}`);
}

/** Runs a service's executable in server mode and resolves once it logs that it started. */
export async function startService(service: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [mainOf(service)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${service} did not start: ${stderr}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === `${service} started` && entry.port) {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code}: ${stderr}`));
    });
  });
  return {
    service,
    address: `127.0.0.1:${port}`,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
