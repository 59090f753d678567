/**
 * An application submitted in enrollment becomes a card: a `CardApplicationChanged` record on the
 * Kafka-protocol test broker, the portrait fetched from enrollment (a contract test double over
 * gRPC), the job streamed to the reference station simulator, which checks it by passive
 * authentication and completes it; then the operators' steps to activation and a revocation, with
 * every `CardChanged` read back from the broker and the revocation list checked as a relying party
 * (and by openssl) would.
 */
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AuditLog } from '@cancuoc/audit';
import { readCertificate } from '@cancuoc/icao9303';
import { KafkaTransport, type TransportSubscription } from '@cancuoc/messaging';
import {
  ApplicationStage,
  CARD_PRODUCTION_CARD_TOPIC,
  CardChangedSchema,
  CardJobStatus,
  CardStatus,
  RevocationListSchema,
  RevocationReason,
} from '@cancuoc/proto';
import { catalogueTopics, startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import { certificatePem } from './infrastructure/keys/pem.js';
import { revocationListSignedBytes } from './infrastructure/revocation-list.js';
import { StationSimulator } from './station/simulator.js';
import { readChipImage } from './station/chip-image-file.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { eventually, startFixture, stationTokens, type Fixture } from './test-support/fixture.js';
import { runOpenssl, withFiles } from './test-support/openssl.js';
import { portrait } from './test-support/portraits.js';

describe('card production end to end (Kafka-protocol broker, PostgreSQL, Redis, gRPC)', () => {
  let broker: KafkaBroker;
  let f: Fixture;
  let enrollmentSide: KafkaTransport;
  let reader: KafkaTransport;
  let subscription: TransportSubscription;
  let chips: string;
  const changes = new Map<string, CardStatus[]>();

  before(async () => {
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    f = await startFixture({ config: { kafkaBrokers: broker.bootstrapServers } });
    enrollmentSide = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'enrollment-test',
      idempotent: false,
    });
    reader = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'card-reader-test',
      idempotent: false,
    });
    subscription = await reader.subscribe({
      group: 'card-production-flow-reader',
      topics: [CARD_PRODUCTION_CARD_TOPIC.name],
      handle: async (record) => {
        assert.equal(record.headers.ce_type, 'cancuoc.events.v1.CardChanged');
        assert.equal(record.headers.ce_source, '/cancuoc/card-production');
        const event = fromBinary(CardChangedSchema, record.value!);
        assert.equal(record.key, event.cardId);
        changes.set(event.cardId, [...(changes.get(event.cardId) ?? []), event.card!.status]);
      },
    });
    chips = await mkdtemp(join(tmpdir(), 'cancuoc-cp-chips-'));
  });
  after(async () => {
    await subscription?.stop();
    await reader?.close();
    await enrollmentSide?.close();
    await f?.close();
    await broker?.stop();
    if (chips) await rm(chips, { recursive: true, force: true });
  });

  const statusesOf = (cardId: string, count: number) =>
    eventually(async () => {
      const seen = changes.get(cardId) ?? [];
      return seen.length >= count ? seen : undefined;
    }, `${count} CardChanged records of the card`);

  it('turns a submitted application into a card encoded by the simulator, then activated and revoked', async () => {
    const applicationId = 'app-flow-1';
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(enrollmentSide, applicationChanged({ applicationId, face, priority: 2 }));

    const simulator = new StationSimulator({
      address: f.running.grpc.address,
      tokens: stationTokens('hn-enc-01'),
      capacity: 2,
      trustedCscas: [f.csca],
      outDir: chips,
      maxJobs: 1,
    });
    simulator.start();
    const summary = await simulator.done;
    assert.deepEqual(summary, { completed: 1, failed: 0, voided: 0 });
    assert.deepEqual(
      f.enrollment.calls.map((c) => [c.applicationId, c.actor]),
      [[applicationId, 'service:card-production']],
    );

    const { card } = await f.admin.getCard({ card: { case: 'applicationId', value: applicationId } });
    const cardId = card!.cardId;
    assert.equal(card!.status, CardJobStatus.ENCODED);
    assert.equal(card!.documentNumber, '190123456');
    assert.equal(card!.expiryDate, '2030-05-17');
    assert.deepEqual(await statusesOf(cardId, 3), [
      CardStatus.QUEUED,
      CardStatus.ENCODING,
      CardStatus.ENCODED,
    ]);

    // The chip the simulator wrote is the one whose fingerprint card production recorded.
    const [image] = await readdir(chips);
    assert.equal(image, `${card!.chipSerial}.chip`);
    const efSod = readChipImage(await readFile(join(chips, image!))).efSod;
    assert.equal(createHash('sha256').update(efSod).digest('hex'), card!.sodSha256);

    await f.admin.recordQualityCheck({ cardId, passed: true });
    await f.admin.shipCard({ cardId, shipmentId: 'VNPOST-2026-11-0001', destinationUnitCode: '00004' });
    await f.admin.deliverCard({ cardId, deliveredAtUnitCode: '00004' });
    await f.admin.activateCard({ cardId });
    const revoked = await f.admin.revokeCard({ cardId, reason: RevocationReason.LOST });
    assert.equal(revoked.card?.status, CardJobStatus.REVOKED);
    assert.deepEqual((await statusesOf(cardId, 8)).slice(3), [
      CardStatus.QUALITY_CHECKED,
      CardStatus.SHIPPED,
      CardStatus.DELIVERED,
      CardStatus.ACTIVATED,
      CardStatus.REVOKED,
    ]);

    // The revocation list, checked as a relying party would: signature, chain to the CSCA, contents.
    const published = await f.admin.getRevocationList({});
    const signer = readCertificate(published.signerCertificate);
    assert.ok(
      signer.isSignedBy(readCertificate(f.csca).publicKey),
      'signed by a Document Signer of our CSCA',
    );
    assert.ok(
      verify('sha256', revocationListSignedBytes(published.list), signer.publicKey, published.signature),
    );
    const list = fromBinary(RevocationListSchema, published.list);
    assert.equal(list.number, 1n);
    assert.deepEqual(
      list.cards.map((c) => [c.cardId, c.sodSha256, c.reason]),
      [[cardId, card!.sodSha256, RevocationReason.LOST]],
    );
    assert.ok(Date.parse(list.nextUpdate) > Date.parse(list.issuedAt));
    using scratch = withFiles({
      'signed.bin': revocationListSignedBytes(published.list),
      'signature.der': published.signature,
      'signer.pem': certificatePem(published.signerCertificate),
      'csca.pem': certificatePem(f.csca),
    });
    const chain = runOpenssl(scratch.path, [
      'verify',
      '-CAfile',
      'csca.pem',
      '-purpose',
      'any',
      'signer.pem',
    ]);
    assert.equal(chain.status, 0, chain.stderr + chain.stdout);
    runOpenssl(scratch.path, ['x509', '-in', 'signer.pem', '-pubkey', '-noout', '-out', 'signer.pub']);
    const signature = runOpenssl(scratch.path, [
      'dgst',
      '-sha256',
      '-verify',
      'signer.pub',
      '-signature',
      'signature.der',
      'signed.bin',
    ]);
    assert.equal(signature.status, 0, signature.stderr);

    // Every access to the citizen's data is in the audit log, and the chain holds.
    const audit = new AuditLog(f.running.db, { chain: 'card-production' });
    await audit.seal();
    const accesses = await audit.forSubject(card!.citizenId);
    assert.deepEqual(
      [...new Set(accesses.map((a) => `${a.actor} ${a.action}`))],
      [
        'service:card-production portrait.fetched',
        'service:card-production register-data.read',
        'station:hn-enc-01 chip-files.released',
        'admin:ops-01 card.read',
      ],
    );
    assert.ok(
      accesses.every((a) => !JSON.stringify({ ...a, seq: String(a.seq) }).includes('Nguyễn')),
      'the names of the fields, never their values',
    );
    assert.equal((await audit.verify()).ok, true);
    // The register data and chip files are gone once the card reached the citizen.
    const [kept] = await f.running.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM cp_vault WHERE card_id = $1',
      [cardId],
    );
    assert.equal(kept?.n, '0');
  });

  it('stops the card of an application enrollment cancelled', async () => {
    const applicationId = 'app-flow-cancelled';
    const face = f.enrollment.hold(applicationId, portrait(applicationId));
    await publishApplication(enrollmentSide, applicationChanged({ applicationId, face, version: 6 }));
    const queued = await eventually(async () => {
      const reply = await f.admin
        .getCard({ card: { case: 'applicationId', value: applicationId } })
        .catch(() => undefined);
      return reply?.card?.status === CardJobStatus.QUEUED ? reply.card : undefined;
    }, 'the card to be queued');
    await publishApplication(
      enrollmentSide,
      applicationChanged({ applicationId, face, version: 7, stage: ApplicationStage.CANCELLED }),
    );
    assert.deepEqual(await statusesOf(queued.cardId, 2), [CardStatus.QUEUED, CardStatus.CANCELLED]);
  });
});
