import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  defineService,
  DevelopmentCa,
  mutualTlsChannelCredentials,
  mutualTlsServerCredentials,
  readErrorDetails,
  startGrpcServer,
  type GrpcClient,
  type RunningGrpcServer,
} from '@cancuoc/grpc';
import { EchoService, echoImplementation, RecordingLogger } from '@cancuoc/grpc/testing';
import { status } from '@grpc/grpc-js';
import { DevelopmentIssuer } from './development-issuer.js';
import { guard, type Authorized } from './guard.js';
import { bearerFor, identities, type Identity } from './identities.js';
import { Policy } from './policy/policy.js';
import { Refusals } from './refusals.js';
import { TokenVerifier } from './verifier.js';

const AUDIENCE = 'echo';

/**
 * The guard over real mutual TLS (architecture decision 9): a machine's token is only good with the
 * machine's own certificate, so a token copied off one host is refused from another; a person's
 * token rides on whatever platform certificate the client they use holds.
 */
describe('the guard on mutual TLS', () => {
  let root: string;
  let ca: DevelopmentCa;
  let issuer: DevelopmentIssuer;
  let server: RunningGrpcServer;
  const clients: GrpcClient<typeof EchoService>[] = [];

  const policy = new Policy().add(EchoService, {
    echo: [
      { kind: 'service', limit: 'none' },
      { kind: 'station', roles: ['encoding-station'], limit: 'own-station' },
      { kind: 'agency', roles: ['agency'], limit: 'own-agency' },
      { kind: 'person', roles: ['clerk'], limit: 'jurisdiction' },
    ],
    register: [],
    count: [],
    sum: [],
    shout: [],
  });

  /** A client holding the platform certificate of `subject`. */
  async function clientOf(subject: string): Promise<GrpcClient<typeof EchoService>> {
    const files = await ca.writeIdentity(join(root, `client-${clients.length}`), subject);
    const client = createClient(EchoService, `localhost:${server.port}`, {
      credentials: mutualTlsChannelCredentials(files),
      defaultTimeoutMs: 5_000,
    });
    clients.push(client);
    return client;
  }

  /** Who the server says called, or the refusal's code and reason. */
  async function call(client: GrpcClient<typeof EchoService>, identity: Identity) {
    try {
      const response = await client.echo(
        { text: 'hello' },
        { metadata: await bearerFor(issuer, identity, AUDIENCE) },
      );
      return { subject: response.principal };
    } catch (error) {
      const details = readErrorDetails(error);
      return { code: details?.code, reason: details?.errorInfo?.reason };
    }
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cancuoc-mtls-'));
    ca = await DevelopmentCa.inMemory();
    issuer = await DevelopmentIssuer.inMemory();
    const serverFiles = await ca.writeIdentity(join(root, 'server'), 'service:echo', {
      dnsNames: ['localhost'],
    });
    const logger = new RecordingLogger();
    server = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      credentials: mutualTlsServerCredentials(serverFiles),
      logger,
      services: [
        defineService(
          EchoService,
          {
            authenticate: guard({
              verifier: new TokenVerifier({ issuer: issuer.issuer, audience: AUDIENCE, keys: issuer.keys() }),
              policy,
              refusals: new Refusals({ logger }),
            }),
          },
          {
            ...echoImplementation<Authorized>(),
            echo: (request, context) => ({ text: request.text, principal: context.principal.subject }),
          },
        ),
      ],
    });
  });
  after(async () => {
    for (const client of clients) client[Symbol.dispose]();
    await server.shutdown(1_000);
    await rm(root, { recursive: true, force: true });
  });

  it("accepts a service's token presented with the service's own certificate", async () => {
    const registry = await clientOf('service:registry');
    assert.deepEqual(await call(registry, identities.service('registry')), { subject: 'service:registry' });
  });

  it("refuses the registry's token presented with a station's certificate: CERTIFICATE_MISMATCH", async () => {
    const station = await clientOf('station:st-1');
    assert.deepEqual(await call(station, identities.service('registry')), {
      code: status.UNAUTHENTICATED,
      reason: 'CERTIFICATE_MISMATCH',
    });
  });

  it("binds stations' and agencies' tokens to their certificates the same way", async () => {
    const [st1, st2, bhxh] = [
      await clientOf('station:st-1'),
      await clientOf('station:st-2'),
      await clientOf('agency:bhxh'),
    ];
    assert.deepEqual(await call(st1, identities.encodingStation('st-1')), { subject: 'station:st-1' });
    assert.deepEqual(await call(bhxh, identities.agency('bhxh')), { subject: 'agency:bhxh' });
    for (const [client, identity] of [
      [st2, identities.encodingStation('st-1')],
      [bhxh, identities.encodingStation('st-1')],
      [st1, identities.agency('bhxh')],
    ] as const) {
      assert.deepEqual(await call(client, identity), {
        code: status.UNAUTHENTICATED,
        reason: 'CERTIFICATE_MISMATCH',
      });
    }
  });

  it("accepts a person's token over any platform client certificate", async () => {
    const clerk = identities.clerk('nguyen-van-a', '01');
    for (const subject of ['station:st-1', 'service:enrollment']) {
      assert.deepEqual(await call(await clientOf(subject), clerk), { subject: clerk.subject }, subject);
    }
  });
});
