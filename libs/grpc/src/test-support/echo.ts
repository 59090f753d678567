import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type GrpcClient } from '../client.js';
import { failedPrecondition } from '../errors.js';
import type { GrpcLogger } from '../logger.js';
import { startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from '../server.js';
import {
  defineService,
  type Authenticator,
  type ServiceImplementation,
  type ServiceRegistration,
} from '../service.js';
import { EchoService } from './gen/cancuoc/grpctest/v1/echo_pb.js';

export { EchoService };

/** A straightforward implementation of every EchoService RPC; tests override single methods. */
export function echoImplementation<P>(): ServiceImplementation<typeof EchoService, P> {
  let registrations = 0;
  return {
    async echo(request, call) {
      if (request.delayMs > 0) await sleep(request.delayMs);
      return { text: request.text, principal: String(call.principal ?? '') };
    },
    async register(request) {
      registrations += 1;
      const execution = registrations;
      if (request.delayMs > 0) await sleep(request.delayMs);
      return { id: `${request.name}-${execution}`, execution };
    },
    async *count(request) {
      for (let n = 1; n <= request.count; n++) {
        if (request.failAfter > 0 && n > request.failAfter) {
          throw failedPrecondition([
            { type: 'COUNT', subject: 'count', description: `stopped after ${n - 1}` },
          ]);
        }
        yield { n };
      }
    },
    async sum(requests) {
      let total = 0n;
      let count = 0;
      for await (const request of requests) {
        total += request.value;
        count += 1;
      }
      return { total, count };
    },
    async *shout(requests) {
      for await (const request of requests) yield { text: request.text.toUpperCase() };
    },
  };
}

/** Records what the server reports, so tests can assert on it (and keep test output quiet). */
export class RecordingLogger implements GrpcLogger {
  readonly entries: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
  error(event: string, fields: Readonly<Record<string, unknown>>): void {
    this.entries.push({ event, fields });
  }
}

export interface EchoFixture {
  readonly server: RunningGrpcServer;
  readonly client: GrpcClient<typeof EchoService>;
  readonly logger: RecordingLogger;
  close(): Promise<void>;
}

/** An EchoService server on a free loopback port and a client for it. */
export async function startEcho(
  overrides: Partial<ServiceImplementation<typeof EchoService, undefined>> = {},
  options: Partial<Omit<GrpcServerOptions, 'services'>> = {},
): Promise<EchoFixture> {
  return startFixture(
    defineService(EchoService, { ...echoImplementation<undefined>(), ...overrides }),
    options,
  );
}

/** The same behind an authentication hook. */
export async function startAuthenticatedEcho<P>(
  authenticate: Authenticator<P>,
  overrides: Partial<ServiceImplementation<typeof EchoService, P>> = {},
): Promise<EchoFixture> {
  return startFixture(
    defineService(EchoService, { authenticate }, { ...echoImplementation<P>(), ...overrides }),
    {},
  );
}

async function startFixture(
  registration: ServiceRegistration,
  options: Partial<Omit<GrpcServerOptions, 'services'>>,
): Promise<EchoFixture> {
  const logger = new RecordingLogger();
  const server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    logger,
    ...options,
    services: [registration],
  });
  const client = createClient(EchoService, server.address, { defaultTimeoutMs: 10_000 });
  return {
    server,
    client,
    logger,
    async close() {
      client[Symbol.dispose]();
      await server.shutdown(1_000);
    },
  };
}
