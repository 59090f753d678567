import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { createClient, type GrpcClient } from './client.js';
import { grpcCode } from './errors.js';
import { DevelopmentCa } from './development-ca.js';
import { startGrpcServer, type RunningGrpcServer } from './server.js';
import { defineService, type CallTransport, type PeerCertificate } from './service.js';
import { EchoService, RecordingLogger, echoImplementation } from './test-support/echo.js';
import {
  checkTlsFiles,
  mutualTlsChannelCredentials,
  mutualTlsServerCredentials,
  serverCredentialsFor,
  grpcListenerFromEnv,
  tlsFilesFromEnv,
  TlsConfigError,
  type TlsFiles,
} from './tls.js';

/** Short, so that renewed files are taken up within the tests' patience. */
const REFRESH_MS = 50;
const DAY_MS = 86_400_000;

const thumbprint = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const fileThumbprint = async (file: string) => thumbprint(await readFile(file, 'utf8'));

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cancuoc-tls-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});
let dirs = 0;
const newDir = () => join(root, `d${++dirs}`);

interface Served {
  readonly server: RunningGrpcServer;
  /** How many calls reached the authentication hook. */
  readonly hooked: () => number;
}

/** The echo service over mutual TLS; its hook returns the transport, and Echo answers its certificate. */
async function serve(credentials: grpc.ServerCredentials): Promise<Served> {
  let calls = 0;
  const server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    credentials,
    logger: new RecordingLogger(),
    services: [
      defineService<typeof EchoService, CallTransport>(
        EchoService,
        {
          authenticate: (_metadata, _method, transport: CallTransport) => {
            calls += 1;
            return transport;
          },
        },
        {
          ...echoImplementation<CallTransport>(),
          echo: (request, call) => ({
            text: request.text,
            principal: JSON.stringify(call.principal.certificate),
          }),
        },
      ),
    ],
  });
  return { server, hooked: () => calls };
}

function dial(
  server: RunningGrpcServer,
  credentials: grpc.ChannelCredentials,
  host = 'localhost',
  channelOptions: grpc.ChannelOptions = {},
): GrpcClient<typeof EchoService> {
  // A channel of its own (no subchannel shared with an earlier client), so each is a new handshake.
  return createClient(EchoService, `${host}:${server.port}`, {
    credentials,
    defaultTimeoutMs: 5_000,
    channelOptions: { 'grpc.use_local_subchannel_pool': 1, ...channelOptions },
  });
}

/** The client certificate the server's hook saw on a call. */
async function seenBy(client: GrpcClient<typeof EchoService>): Promise<PeerCertificate | undefined> {
  return JSON.parse((await client.echo({ text: 'hi' })).principal ?? 'null') ?? undefined;
}

async function refused(client: GrpcClient<typeof EchoService>): Promise<void> {
  await assert.rejects(client.echo({ text: 'hi' }), (error) => grpcCode(error) === grpc.status.UNAVAILABLE);
  client[Symbol.dispose]();
}

/** The certificate the server presents to a new TLS connection (with a client certificate). */
async function presentedBy(server: RunningGrpcServer, client: TlsFiles): Promise<string> {
  const [ca, cert, key] = await Promise.all(
    [client.caFile, client.certFile, client.keyFile].map((f) => readFile(f)),
  );
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: server.port, servername: 'localhost', ca, cert, key, ALPNProtocols: ['h2'] },
      () => {
        const raw = socket.getPeerX509Certificate()!.raw;
        socket.destroy();
        resolve(createHash('sha256').update(raw).digest('base64url'));
      },
    );
    socket.once('error', reject);
  });
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${String(value)}`);
    await sleep(REFRESH_MS);
  }
}

describe('the development CA', () => {
  it('creates its key and certificate once, when several processes open a new directory at once', async () => {
    const dir = newDir();
    const opened = await Promise.all([1, 2, 3, 4].map(() => DevelopmentCa.open(dir)));
    assert.equal(new Set(opened.map((ca) => ca.certificatePem)).size, 1);
    assert.equal((await stat(join(dir, 'ca.key'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), opened[0]!.certificatePem);
    const again = await DevelopmentCa.open(dir);
    assert.equal(again.certificatePem, opened[0]!.certificatePem);
    assert.equal(again.caFile, join(dir, 'ca.crt'));
    const ca = new X509Certificate(again.certificatePem);
    assert.ok(ca.ca);
    assert.match(ca.subject, /CN=Cancuoc development CA/);
  });

  it('issues a P-256 identity naming its subject in the CN and a cancuoc: URI, for server and client use', async () => {
    const ca = await DevelopmentCa.inMemory();
    const { certPem, keyPem } = await ca.issue({
      subject: 'service:registry',
      dnsNames: ['registry', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      validityDays: 30,
    });
    const certificate = new X509Certificate(certPem);
    assert.equal(certificate.subject, 'CN=service:registry');
    assert.equal(
      certificate.subjectAltName,
      'URI:cancuoc:service:registry, DNS:registry, DNS:localhost, IP Address:127.0.0.1',
    );
    assert.deepEqual(certificate.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.equal(certificate.ca, false);
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(certificate.verify(new X509Certificate(ca.certificatePem).publicKey));
    const days = (Date.parse(certificate.validTo) - Date.now()) / DAY_MS;
    assert.ok(days > 29.9 && days <= 30, `${days} days`);
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
    await assert.rejects(ca.issue({ subject: 'registry, O=evil' }), TypeError);
  });

  it('writes an identity as a cert-manager Secret is mounted: tls.crt, tls.key (0600), ca.crt', async () => {
    const ca = await DevelopmentCa.inMemory();
    const dir = newDir();
    const files = await ca.writeIdentity(dir, 'station:st-1');
    assert.deepEqual(files, {
      certFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
      caFile: join(dir, 'ca.crt'),
    });
    assert.equal((await stat(files.keyFile)).mode & 0o777, 0o600);
    assert.equal(await readFile(files.caFile, 'utf8'), ca.certificatePem);
    checkTlsFiles(files);
  });
});

describe('mutual TLS between a server and its callers', () => {
  let ca: DevelopmentCa;
  let serverFiles: TlsFiles;
  let stationFiles: TlsFiles;
  let served: Served;
  before(async () => {
    ca = await DevelopmentCa.open(newDir());
    serverFiles = await ca.writeIdentity(newDir(), 'service:registry', {
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    stationFiles = await ca.writeIdentity(newDir(), 'station:st-1');
    served = await serve(mutualTlsServerCredentials(serverFiles, REFRESH_MS));
  });
  after(async () => {
    await served.server.shutdown(1_000);
  });

  it("works with a platform certificate, and the hook sees the client's CN, SANs and thumbprint", async () => {
    const client = dial(served.server, mutualTlsChannelCredentials(stationFiles, REFRESH_MS));
    assert.deepEqual(await seenBy(client), {
      commonName: 'station:st-1',
      subjectAltNames: ['URI:cancuoc:station:st-1'],
      thumbprint: await fileThumbprint(stationFiles.certFile),
    });
    client[Symbol.dispose]();
  });

  it('refuses a client without a certificate, or without TLS, at the handshake', async () => {
    const before = served.hooked();
    await refused(dial(served.server, grpc.credentials.createSsl(Buffer.from(ca.certificatePem))));
    await refused(dial(served.server, grpc.credentials.createInsecure()));
    assert.equal(served.hooked(), before, 'no call reached the service');
  });

  it('refuses a client certificate from another CA', async () => {
    const { certPem, keyPem } = await (await DevelopmentCa.inMemory()).issue({ subject: 'station:st-1' });
    const before = served.hooked();
    await refused(
      dial(
        served.server,
        grpc.credentials.createSsl(Buffer.from(ca.certificatePem), Buffer.from(keyPem), Buffer.from(certPem)),
      ),
    );
    assert.equal(served.hooked(), before);
  });

  it('lets the client refuse a server whose certificate does not name the host it dialled', async () => {
    const registryOnly = await ca.writeIdentity(newDir(), 'service:registry', { dnsNames: ['registry'] });
    const other = await serve(mutualTlsServerCredentials(registryOnly, REFRESH_MS));
    try {
      await refused(dial(other.server, mutualTlsChannelCredentials(stationFiles, REFRESH_MS)));
      assert.equal(other.hooked(), 0);
      // The same server, dialled by the name on its certificate, is accepted: the name was the reason.
      const byName = dial(other.server, mutualTlsChannelCredentials(stationFiles, REFRESH_MS), 'localhost', {
        'grpc.ssl_target_name_override': 'registry',
      });
      assert.equal((await seenBy(byName))?.commonName, 'station:st-1');
      byName[Symbol.dispose]();
    } finally {
      await other.server.shutdown(1_000);
    }
  });
});

describe('certificate renewal without a restart', () => {
  it('uses re-issued certificates on both sides for new connections', async () => {
    const ca = await DevelopmentCa.open(newDir());
    const [serverDir, clientDir] = [newDir(), newDir()];
    const serverFiles = await ca.writeIdentity(serverDir, 'service:registry', { dnsNames: ['localhost'] });
    const clientFiles = await ca.writeIdentity(clientDir, 'service:enrollment');
    const { server } = await serve(mutualTlsServerCredentials(serverFiles, REFRESH_MS));
    const clientCredentials = mutualTlsChannelCredentials(clientFiles, REFRESH_MS);
    try {
      const first = dial(server, clientCredentials);
      assert.equal((await seenBy(first))?.thumbprint, await fileThumbprint(clientFiles.certFile));
      assert.equal(await presentedBy(server, clientFiles), await fileThumbprint(serverFiles.certFile));

      await ca.writeIdentity(serverDir, 'service:registry', { dnsNames: ['localhost'] });
      await ca.writeIdentity(clientDir, 'service:enrollment');
      const [renewedServer, renewedClient] = [
        await fileThumbprint(serverFiles.certFile),
        await fileThumbprint(clientFiles.certFile),
      ];
      await eventually(
        () => presentedBy(server, clientFiles),
        (t) => t === renewedServer,
        'server certificate',
      );
      await eventually(
        async () => {
          const client = dial(server, clientCredentials);
          try {
            return (await seenBy(client))?.thumbprint;
          } finally {
            client[Symbol.dispose]();
          }
        },
        (t) => t === renewedClient,
        'client certificate',
      );
      // The connection made before the renewal carries on with its handshake.
      assert.notEqual((await seenBy(first))?.thumbprint, renewedClient);
      first[Symbol.dispose]();
    } finally {
      await server.shutdown(1_000);
    }
  });

  it('follows a move to a new CA: new certificate and CA files, and the old CA is no longer trusted', async () => {
    const [oldCa, newCa] = [await DevelopmentCa.inMemory(), await DevelopmentCa.inMemory()];
    const [serverDir, clientDir, lateDir] = [newDir(), newDir(), newDir()];
    const serverFiles = await oldCa.writeIdentity(serverDir, 'service:registry', { dnsNames: ['localhost'] });
    const clientFiles = await oldCa.writeIdentity(clientDir, 'station:st-1');
    const late = await oldCa.writeIdentity(lateDir, 'station:st-2');
    const { server } = await serve(mutualTlsServerCredentials(serverFiles, REFRESH_MS));
    const clientCredentials = mutualTlsChannelCredentials(clientFiles, REFRESH_MS);
    try {
      // A channel kept open, as a service keeps its own: while one is, the credentials re-read the files.
      const kept = dial(server, clientCredentials);
      assert.equal((await seenBy(kept))?.commonName, 'station:st-1');

      await newCa.writeIdentity(serverDir, 'service:registry', { dnsNames: ['localhost'] });
      await newCa.writeIdentity(clientDir, 'station:st-1');
      const renewed = await fileThumbprint(clientFiles.certFile);
      await eventually(
        async () => {
          const client = dial(server, clientCredentials);
          try {
            return (await seenBy(client))?.thumbprint;
          } finally {
            client[Symbol.dispose]();
          }
        },
        (t) => t === renewed,
        'a call on the new CA',
      );
      // A caller still holding a certificate of the old CA is refused now.
      const straggler = dial(
        server,
        mutualTlsChannelCredentials({ ...late, caFile: clientFiles.caFile }, REFRESH_MS),
      );
      await refused(straggler);
      kept[Symbol.dispose]();
    } finally {
      await server.shutdown(1_000);
    }
  });
});

describe('credentials from configuration', () => {
  const files = { certFile: '/c/tls.crt', keyFile: '/c/tls.key', caFile: '/c/ca.crt' };

  it('tlsFilesFromEnv takes all three files or none', () => {
    assert.equal(tlsFilesFromEnv({}), undefined);
    assert.equal(tlsFilesFromEnv({ CANCUOC_TLS_CERT_FILE: '' }), undefined);
    assert.deepEqual(
      tlsFilesFromEnv({
        CANCUOC_TLS_CERT_FILE: files.certFile,
        CANCUOC_TLS_KEY_FILE: files.keyFile,
        CANCUOC_TLS_CA_FILE: files.caFile,
      }),
      files,
    );
    for (const missing of ['CANCUOC_TLS_CERT_FILE', 'CANCUOC_TLS_KEY_FILE', 'CANCUOC_TLS_CA_FILE']) {
      const env: NodeJS.ProcessEnv = {
        CANCUOC_TLS_CERT_FILE: files.certFile,
        CANCUOC_TLS_KEY_FILE: files.keyFile,
        CANCUOC_TLS_CA_FILE: files.caFile,
      };
      delete env[missing];
      assert.throws(() => tlsFilesFromEnv(env), TlsConfigError, missing);
    }
  });

  it('serverCredentialsFor refuses plaintext in server mode and beyond loopback', () => {
    assert.throws(
      () => serverCredentialsFor({ tls: undefined, host: '127.0.0.1', server: true }),
      /server mode needs mutual TLS/,
    );
    for (const host of ['0.0.0.0', '10.1.2.3', '::'])
      assert.throws(
        () => serverCredentialsFor({ tls: undefined, host, server: false }),
        /only for the embedded platform on loopback/,
      );
    for (const host of ['127.0.0.1', 'localhost', '::1'])
      assert.equal(
        serverCredentialsFor({ tls: undefined, host, server: false }).transport,
        'plaintext-loopback',
      );
  });

  it('serverCredentialsFor uses mutual TLS when it has files, after checking them', async () => {
    const ca = await DevelopmentCa.inMemory();
    const good = await ca.writeIdentity(newDir(), 'service:registry');
    const { credentials, transport } = serverCredentialsFor({ tls: good, host: '0.0.0.0', server: true });
    assert.equal(transport, 'mtls');
    assert.ok(credentials._isSecure());

    const otherKey = (await ca.writeIdentity(newDir(), 'service:enrollment')).keyFile;
    assert.throws(
      () => serverCredentialsFor({ tls: { ...good, keyFile: otherKey }, host: '0.0.0.0', server: true }),
      /is not the private key of the certificate/,
    );
    assert.throws(
      () => mutualTlsChannelCredentials({ ...good, caFile: join(root, 'nowhere.crt') }),
      /cannot read the CA certificate/,
    );
    const garbage = join(root, 'garbage.crt');
    await writeFile(garbage, 'not a certificate');
    assert.throws(() => checkTlsFiles({ ...good, certFile: garbage }), /is not a PEM certificate/);
    assert.throws(() => checkTlsFiles(good, new Date(Date.now() + 365 * DAY_MS)), /is valid from .* not now/);
  });
});

describe("a service's listener from the environment", () => {
  const files = { CANCUOC_TLS_CERT_FILE: 'c', CANCUOC_TLS_KEY_FILE: 'k', CANCUOC_TLS_CA_FILE: 'a' };
  const read = (env: NodeJS.ProcessEnv, server = false) =>
    grpcListenerFromEnv(env, { variablePrefix: 'REGISTRY', defaultPort: 50051, server });

  it('listens on loopback in plaintext by default, on every interface with certificates', () => {
    assert.deepEqual(read({}), { host: '127.0.0.1', port: 50051, tls: undefined, healthListener: undefined });
    assert.deepEqual(read({ ...files, REGISTRY_GRPC_PORT: '6000', CANCUOC_HEALTH_PORT: '8081' }, true), {
      host: '0.0.0.0',
      port: 6000,
      tls: { certFile: 'c', keyFile: 'k', caFile: 'a' },
      healthListener: { host: '0.0.0.0', port: 8081 },
    });
  });

  it('refuses plaintext in server mode or off loopback, and a port that is no port', () => {
    assert.throws(() => read({}, true), TlsConfigError);
    assert.throws(() => read({ REGISTRY_GRPC_HOST: '0.0.0.0' }), /loopback/);
    assert.throws(() => read({ REGISTRY_GRPC_PORT: 'x' }), /REGISTRY_GRPC_PORT/);
    assert.throws(() => read({ CANCUOC_HEALTH_PORT: '70000' }), /CANCUOC_HEALTH_PORT/);
  });
});
