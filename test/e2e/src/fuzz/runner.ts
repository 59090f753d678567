/**
 * The fuzz properties over every RPC of a running embedded platform, shared by the suite
 * (fuzz.spec.ts) and the longer run (fuzz-long.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary, toBinary, create, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import { STATION_TOKEN_HEADER, type Identity } from '@cancuoc/auth';
import { allServices, audienceOf, CALLERS, expectedCallers, type CallerName } from '@cancuoc/auth/testing';
import { HealthCheckRequestSchema, HealthCheckResponseSchema, ServingStatus, status } from '@cancuoc/grpc';
import { startPlatform, type RunningPlatform, type ServiceName } from '@cancuoc/platform';
import { operations } from '@cancuoc/proto';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { call, type RawCallResult } from '../support/raw-call.js';
import { callArbitrary, type Request } from './arbitraries.js';
import { PeerProxy } from './peer-proxy.js';

const SERVICES: readonly ServiceName[] = ['registry', 'enrollment', 'card-production', 'data-sharing'];
/** Calls per caller subject (and per peer address without a token): under the 30-refusal block. */
const CALLS_PER_SUBJECT = 20;
const UNARY_DEADLINE_MS = 5_000;
/** A server or bidi stream the policy allows stays open: it is cut short after this. */
const STREAM_DEADLINE_MS = 150;
/** The refusal limiter's block, which answers before the token is even looked at. */
const BLOCKED = /too many refused calls/;

const same = (bytes: Buffer) => bytes;
const isStream = (method: DescMethod) =>
  method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming';
/** A registry RPC that writes: what the "no write on a refused request" check samples. */
/**
 * A command: an RPC that may append to its service's event log. Reads, audit verification, the
 * station's job stream and heartbeat (a lease in Redis, not an event) are not.
 */
const isWrite = (method: DescMethod) =>
  method.methodKind !== 'server_streaming' && !/^(Get|Search|List|Verify|Heartbeat)/.test(method.name);

export const rpcName = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;

export function allMethods(): DescMethod[] {
  return allServices().flatMap((service) => service.methods);
}

/** Runs per RPC so that the run makes at least 10 000 requests (two per run: allowed, no token). */
export function defaultRunsPerRpc(): number {
  return Math.ceil(10_000 / (2 * allMethods().length));
}

export interface FuzzTotals {
  requests: number;
  byCode: Record<string, number>;
  /** Refused commands whose service's event log was checked not to have moved, by service. */
  noWriteChecks: Record<string, number>;
}

export class Fuzzer {
  readonly totals: FuzzTotals = { requests: 0, byCode: {}, noWriteChecks: {} };
  private readonly clients = new Map<string, Client>();
  private readonly anonymous = new Map<string, Client>();
  private anonymousCalls = 0;
  private readonly tokens = new Map<string, string>();
  private subjectCalls = 0;
  /** Refused commands so far, by service: every tenth is checked for no write. */
  private readonly refusedWrites = new Map<string, number>();

  private constructor(
    readonly platform: RunningPlatform,
    private readonly folder: string,
    private readonly proxies: Record<string, PeerProxy>,
  ) {}

  static async start(): Promise<Fuzzer> {
    const folder = await mkdtemp(join(tmpdir(), 'cancuoc-fuzz-'));
    const platform = await startPlatform({
      dataDir: folder,
      ports: { registry: 0, enrollment: 0, 'card-production': 0, 'data-sharing': 0 },
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
    });
    const proxies: Record<string, PeerProxy> = {};
    for (const service of SERVICES) proxies[service] = await PeerProxy.start(platform.addresses[service]);
    return new Fuzzer(platform, folder, proxies);
  }

  async stop(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    for (const client of this.anonymous.values()) client.close();
    for (const proxy of Object.values(this.proxies)) await proxy.close().catch(() => undefined);
    await this.platform.stop();
    await rm(this.folder, { recursive: true, force: true });
  }

  private client(service: ServiceName): Client {
    let client = this.clients.get(service);
    if (!client)
      this.clients.set(
        service,
        (client = new Client(this.platform.addresses[service], credentials.createInsecure())),
      );
    return client;
  }

  private count(result: RawCallResult): RawCallResult {
    this.totals.requests += 1;
    const name = status[result.code] ?? String(result.code);
    this.totals.byCode[name] = (this.totals.byCode[name] ?? 0) + 1;
    return result;
  }

  /** A bearer token for `name`, its subject fresh every few calls so no refusal count adds up. */
  private async metadataFor(name: CallerName, audience: ServiceName): Promise<Metadata> {
    const bucket = Math.floor(this.subjectCalls++ / CALLS_PER_SUBJECT);
    const identity: Identity = CALLERS[name];
    const key = `${name}|${audience}|${bucket}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = await this.platform.issuer.mint({
        ...identity,
        subject: `${identity.subject}-fuzz-${bucket}`,
        audience,
      });
      this.tokens.clear();
      this.tokens.set(key, token);
    }
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    if (name === 'operatorAtStation') {
      const stationKey = `station|${audience}`;
      let station = this.tokens.get(stationKey);
      if (!station)
        this.tokens.set(
          stationKey,
          (station = await this.platform.issuer.mint({ ...CALLERS.enrollmentStation, audience })),
        );
      metadata.set(STATION_TOKEN_HEADER, station);
    }
    return metadata;
  }

  /** A client with no token, through a relay that gives it a fresh peer address every few calls. */
  private anonymousClient(service: ServiceName): Client {
    if (this.anonymousCalls++ % CALLS_PER_SUBJECT === 0) {
      for (const client of this.anonymous.values()) client.close();
      this.anonymous.clear();
      for (const proxy of Object.values(this.proxies)) proxy.next();
    }
    let client = this.anonymous.get(service);
    if (!client)
      this.anonymous.set(
        service,
        (client = new Client(this.proxies[service]!.address, credentials.createInsecure(), {
          // A connection of its own, from the relay's current address.
          'grpc.use_local_subchannel_pool': 1,
        })),
      );
    return client;
  }

  /** An admin's unary call, decoded. */
  private async adminCall<O extends DescMessage>(
    service: ServiceName,
    path: string,
    request: Buffer,
    output: O,
  ) {
    const metadata = await this.metadataFor('admin', service);
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      this.client(service).makeUnaryRequest(path, same, same, request, metadata, (error, value) =>
        error ? reject(error) : resolve(value!),
      ),
    );
    return fromBinary(output, bytes);
  }

  /** A service's event log head: the position of its last event (OperationsService/ListProjections). */
  async logHead(service: ServiceName): Promise<bigint> {
    const { logHeadPosition } = await this.adminCall(
      service,
      '/cancuoc.operations.v1.OperationsService/ListProjections',
      Buffer.alloc(0),
      operations.ListProjectionsResponseSchema,
    );
    return logHeadPosition;
  }

  /** `grpc.health.v1.Health/Check` of the whole server (service ''). */
  async health(service: ServiceName): Promise<string> {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      this.client(service).makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        same,
        same,
        Buffer.from(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: '' }))),
        new Metadata(),
        { deadline: Date.now() + 3_000 },
        (error, value) => (error ? reject(error) : resolve(value!)),
      ),
    );
    return ServingStatus[fromBinary(HealthCheckResponseSchema, bytes).status];
  }

  /**
   * The properties of one RPC, `runs` times: a caller the policy allows is never answered INTERNAL
   * or UNKNOWN (a cut-short stream may end DEADLINE_EXCEEDED or CANCELLED), nor refused by the guard;
   * without a token the call is UNAUTHENTICATED; a sample of the refused registry writes leave the
   * registry's event log where it was.
   */
  async fuzz(method: DescMethod, runs: number, seed?: number): Promise<void> {
    const audience = audienceOf(method.parent) as ServiceName;
    const caller = expectedCallers(method)[0]!;
    const deadlineMs = isStream(method) ? STREAM_DEADLINE_MS : UNARY_DEADLINE_MS;
    const describe = (result: RawCallResult) =>
      `${status[result.code]} ${result.reason ?? ''} ${result.details ?? ''}`.trim();
    await fc.assert(
      fc.asyncProperty(callArbitrary(method), async (requests: Request[]) => {
        const sent = { requests: requests.map((request) => request.bytes), deadlineMs };
        const refused = this.refusedWrites.get(audience) ?? 0;
        const checkWrite = isWrite(method) && refused % 10 === 0;
        const before = checkWrite ? await this.logHead(audience) : undefined;

        const allowed = this.count(
          await call(this.client(audience), method, await this.metadataFor(caller, audience), sent),
        );
        const what = `${rpcName(method)} as ${caller}: ${describe(allowed)}`;
        assert.notEqual(allowed.code, status.INTERNAL, what);
        assert.notEqual(allowed.code, status.UNKNOWN, what);
        assert.notEqual(allowed.code, status.UNAUTHENTICATED, what);
        assert.ok(!(allowed.code === status.PERMISSION_DENIED && allowed.reason === 'NOT_ALLOWED'), what);
        if (!isStream(method)) {
          assert.notEqual(allowed.code, status.DEADLINE_EXCEEDED, what);
          assert.notEqual(allowed.code, status.CANCELLED, what);
        }
        if (isWrite(method) && allowed.code === status.INVALID_ARGUMENT) {
          this.refusedWrites.set(audience, refused + 1);
          if (before !== undefined) {
            this.totals.noWriteChecks[audience] = (this.totals.noWriteChecks[audience] ?? 0) + 1;
            assert.equal(await this.logHead(audience), before, `${what}: the ${audience} event log moved`);
          }
        }

        const anonymous = this.count(
          await call(this.anonymousClient(audience), method, new Metadata(), sent),
        );
        const bare = `${rpcName(method)} without a token: ${describe(anonymous)}`;
        assert.ok(
          anonymous.code === status.UNAUTHENTICATED ||
            (anonymous.code === status.RESOURCE_EXHAUSTED && BLOCKED.test(anonymous.details ?? '')),
          bare,
        );
      }),
      { numRuns: runs, seed, verbose: 1 },
    );
  }

  /** Every service's health, after the run. */
  async allHealth(): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const service of SERVICES) result[service] = await this.health(service);
    return result;
  }
}

export function formatTotals(totals: FuzzTotals, seconds: number): string {
  const codes = Object.entries(totals.byCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code}=${n}`)
    .join(' ');
  const checks = Object.entries(totals.noWriteChecks)
    .map(([service, n]) => `${service} ${n}`)
    .join(', ');
  return `fuzz: ${totals.requests} requests in ${seconds.toFixed(1)} s (${codes}); refused commands checked for no write: ${checks}`;
}
