import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { identities } from '@cancuoc/auth';
import { closeClient, createClient, type GrpcClient } from '@cancuoc/grpc';
import { datasharing } from '@cancuoc/proto';
import type { BenchTrust } from '../support/trust.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = join(root, 'services/data-sharing/dist/main.js');

export interface RunningService {
  readonly child: ChildProcess;
  readonly requester: GrpcClient<typeof datasharing.SubscriptionService>;
  readonly approver: GrpcClient<typeof datasharing.SubscriptionService>;
  readonly operations: GrpcClient<typeof datasharing.OperationsService>;
  /** CPU time of the service process so far, µs (from /proc: Linux, USER_HZ 100). */
  cpuUs(): number;
  stop(): Promise<void>;
}

/**
 * Data sharing's executable in server mode, as a deployment runs it, on its own process: mutual
 * TLS, and its own client at the test OpenID provider of `trust`, whose tokens its callers hold.
 */
export async function startService(env: Record<string, string>, trust: BenchTrust): Promise<RunningService> {
  const serviceEnv = await trust.serviceEnv('data-sharing');
  const child = spawn(process.execPath, [MAIN, '--migrate'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_SHARING_GRPC_HOST: '127.0.0.1',
      DATA_SHARING_GRPC_PORT: '0',
      ...serviceEnv,
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const started = /"msg":"data-sharing started","port":(\d+)/.exec(out);
      if (started) resolve(Number(started[1]));
    });
    child.on('exit', (code) => reject(new Error(`data sharing exited with ${code}: ${out}${err}`)));
  });
  const client = async <S extends Parameters<typeof createClient>[0]>(service: S, staff: string) => {
    const admin = await trust.caller(identities.administrator(staff));
    return createClient(service, `127.0.0.1:${port}`, {
      credentials: admin.credentials,
      metadata: admin.metadata('data-sharing'),
      defaultTimeoutMs: 60_000,
    }) as GrpcClient<S>;
  };
  const requester = await client(datasharing.SubscriptionService, 'bench-an');
  const approver = await client(datasharing.SubscriptionService, 'bench-binh');
  const operations = await client(datasharing.OperationsService, 'bench-an');
  return {
    child,
    requester,
    approver,
    operations,
    cpuUs() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    },
    async stop() {
      for (const c of [requester, approver, operations]) closeClient(c);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
