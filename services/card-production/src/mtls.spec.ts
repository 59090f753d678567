/**
 * Card production over mutual TLS, as in server mode: every party with a certificate of the
 * platform CA naming it (`URI:cancuoc:<subject>`). A card goes from the application to a chip with
 * the portrait fetched from enrollment over mutual TLS and the station simulator encoding it over
 * mutual TLS; a station presenting another station's token, or no certificate at all, is refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identities } from '@cancuoc/auth';
import {
  channelCredentialsFor,
  closeClient,
  DevelopmentCa,
  readErrorDetails,
  status,
  type TlsFiles,
} from '@cancuoc/grpc';
import { createLogger } from '@cancuoc/observability';
import { CardJobStatus, EncodingStationService } from '@cancuoc/proto';
import { StationSimulator } from './station/simulator.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { clientAs, eventually, startFixture, stationTokens, type Fixture } from './test-support/fixture.js';
import { portrait } from './test-support/portraits.js';

describe('card production over mutual TLS', () => {
  let f: Fixture;
  let dir: string;
  const files: Record<string, TlsFiles> = {};
  const logged: Record<string, unknown>[] = [];
  const clients: object[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cancuoc-cp-mtls-'));
    const ca = await DevelopmentCa.inMemory();
    const local = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
    for (const [name, subject] of [
      ['service', 'service:card-production'],
      ['enrollment', 'service:enrollment'],
      ['admin', 'admin:ops-01'],
      ['station', 'station:st-tls'],
      ['impostor', 'station:st-impostor'],
    ] as const) {
      files[name] = await ca.writeIdentity(join(dir, name), subject, local);
    }
    f = await startFixture({
      tls: { service: files.service!, enrollment: files.enrollment!, admin: files.admin! },
      options: {
        logger: createLogger({
          service: 'card-production',
          write: (line) => void logged.push(JSON.parse(line)),
        }),
      },
    });
  });
  after(async () => {
    for (const client of clients) closeClient(client);
    await f?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says it listens with mutual TLS', () => {
    const line = logged.find((l) => l.msg === 'card-production.grpc_transport');
    assert.equal(line?.transport, 'mtls');
    assert.equal(line?.port, f.running.grpc.port);
  });

  it('makes a card: the portrait from enrollment and the chip at the station, each over mutual TLS', async () => {
    const applicationId = 'app-mtls-1';
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(f.running.transport, applicationChanged({ applicationId, face }));
    const simulator = new StationSimulator({
      address: f.running.grpc.address,
      tokens: stationTokens('st-tls', f.issuer),
      credentials: channelCredentialsFor(files.station),
      capacity: 1,
      trustedCscas: [f.csca],
      maxJobs: 1,
    });
    simulator.start();
    assert.deepEqual(await simulator.done, { completed: 1, failed: 0, voided: 0 });
    assert.deepEqual(
      f.enrollment.calls.map((c) => c.actor),
      ['service:card-production'],
      'card production’s certificate and token both name it',
    );
    const card = await eventually(async () => {
      const reply = await f.admin.getCard({ card: { case: 'applicationId', value: applicationId } });
      return reply.card?.status === CardJobStatus.ENCODED ? reply.card : undefined;
    }, 'the card to be encoded');
    assert.match(card.chipSerial, /^SIM-/);
  });

  it('refuses a station whose certificate names another than its token, and a client without a certificate', async () => {
    const impostor = clientAs(
      EncodingStationService,
      f.running.grpc.address,
      identities.encodingStation('st-tls'),
      f.issuer,
      files.impostor,
    );
    clients.push(impostor);
    await assert.rejects(impostor.heartbeat({ leaseIds: [] }), (e) => {
      const details = readErrorDetails(e);
      assert.equal(details?.code, status.UNAUTHENTICATED);
      assert.equal(details?.errorInfo?.reason, 'CERTIFICATE_MISMATCH');
      return true;
    });
    const plaintext = clientAs(
      EncodingStationService,
      f.running.grpc.address,
      identities.encodingStation('st-tls'),
      f.issuer,
    );
    clients.push(plaintext);
    await assert.rejects(plaintext.heartbeat({ leaseIds: [] }, { timeoutMs: 5_000 }), (e) => {
      const code = readErrorDetails(e)?.code;
      assert.ok(code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED, `no TLS, no call: ${code}`);
      return true;
    });
    const honest = clientAs(
      EncodingStationService,
      f.running.grpc.address,
      identities.encodingStation('st-tls'),
      f.issuer,
      files.station,
    );
    clients.push(honest);
    assert.deepEqual((await honest.heartbeat({ leaseIds: [] })).leases, []);
  });
});
