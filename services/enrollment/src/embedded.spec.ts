/**
 * Enrollment on the embedded default: PGlite in a data folder, the in-memory rate limits and an
 * in-process transport shared with the rest of the process (the all-in-one launcher's case), and
 * the embedded development issuer in the platform folder, shared with the registry it reads from
 * (its own process, on a PGlite folder beside enrollment's). A restart continues from the folder.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { bearerFor, developmentIssuerFile, identities } from '@cancuoc/auth';
import { Database } from '@cancuoc/eventstore';
import { closeClient, createClient, readErrorDetails, status } from '@cancuoc/grpc';
import { createLogger } from '@cancuoc/observability';
import {
  InProcessTransport,
  inProcessLogMigrations,
  toKafkaRecord,
  type TransportSubscription,
} from '@cancuoc/messaging';
import {
  ApplicationReason,
  ApplicationStage,
  CARD_PRODUCTION_CARD_TOPIC,
  CardApplicationChangedSchema,
  CardChangedSchema,
  CardStatus,
  ENROLLMENT_APPLICATION_TOPIC,
  EnrollmentService,
  PersonalisationDataService,
  RegistryService,
  topicCatalogue,
  type CardApplicationChanged,
} from '@cancuoc/proto';
import { startEnrollment, type RunningEnrollment } from './app.js';
import { testConfig } from './test-support/config.js';
import { asClerk, asService, asSupervisor, atStation } from './test-support/callers.js';
import { pngImage, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import { eventually, faceUpload, fingerprintUpload, registerCitizen, sha256 } from './test-support/flow.js';
import { startRegistryProcess, type RegistryProcess } from './test-support/registry-process.js';

describe('enrollment, embedded (PGlite, in-process transport, memory rate limits)', () => {
  let registryProcess: RegistryProcess;
  let bus: Database;
  let transport: InProcessTransport;
  let reader: TransportSubscription;
  const published: CardApplicationChanged[] = [];

  before(async () => {
    registryProcess = await startRegistryProcess();
    bus = await Database.connect({ migrations: inProcessLogMigrations });
    await bus.migrate();
    transport = new InProcessTransport({ db: bus, pollIntervalMs: 50 });
    await transport.createTopics(
      topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
    );
    reader = await transport.subscribe({
      group: 'embedded-test',
      topics: [ENROLLMENT_APPLICATION_TOPIC.name],
      fromBeginning: true,
      handle: async (record) => void published.push(fromBinary(CardApplicationChangedSchema, record.value!)),
    });
  });

  after(async () => {
    await reader?.stop();
    await transport?.close();
    await bus?.close();
    await registryProcess?.close();
  });

  it('serves an application from start to completion, publishes to the shared transport, and survives a restart', async () => {
    const { folder, issuer } = registryProcess;
    // Enrollment opens the platform folder's issuer file itself, as the launcher's services do.
    const config = testConfig({
      dataDir: join(folder, 'enrollment'),
      auth: { mode: 'embedded', issuerFile: developmentIssuerFile(folder) },
      registryAddress: registryProcess.address,
      startsPerMinute: 100,
      reprocessIntervalMs: 50,
    });
    const registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(issuer),
    });
    await registerCitizen(registry, '001190000301');
    closeClient(registry);

    const lines: { msg?: string; [field: string]: unknown }[] = [];
    const logger = createLogger({
      service: 'enrollment',
      write: (line) => void lines.push(JSON.parse(line)),
    });
    let running: RunningEnrollment = await startEnrollment(config, { transport, logger });
    assert.equal(lines.find((l) => l.msg === 'enrollment.grpc_transport')?.transport, 'plaintext-loopback');
    // A refused call is logged with its reason and the caller's kind, never the token.
    const expired = await bearerFor(issuer, identities.supervisor('em-100'), 'enrollment', -120);
    const stale = createClient(EnrollmentService, running.grpc.address, { metadata: () => expired });
    try {
      const details = await stale.listApplications({ stationId: 'em-01' }).then(
        () => assert.fail('served with an expired token'),
        (e: unknown) => readErrorDetails(e),
      );
      assert.equal(details?.code, status.UNAUTHENTICATED);
    } finally {
      closeClient(stale);
    }
    const refused = lines.find((l) => l.msg === 'auth.refused');
    assert.equal(refused?.reason, 'TOKEN_EXPIRED');
    assert.equal(refused?.['rpc.method'], 'cancuoc.enrollment.v1.EnrollmentService/ListApplications');
    assert.ok(!JSON.stringify(lines).includes(expired.authorization.slice(7, 60)), 'no token in the log');

    const operator = () =>
      createClient(EnrollmentService, running.grpc.address, {
        metadata: () => atStation(issuer, 'em-001', 'em-01'),
      });
    const supervisor = () =>
      createClient(EnrollmentService, running.grpc.address, {
        metadata: () => asSupervisor(issuer, 'em-100'),
      });
    let id: string;
    const portrait = pngImage(300, 400);
    {
      const op = operator();
      const sup = supervisor();
      try {
        const started = await op.startApplication({
          personalId: '001190000301',
          reason: ApplicationReason.FIRST_ISSUE,
        });
        id = started.application!.application!.applicationId;
        assert.equal(started.application!.application!.stage, ApplicationStage.CAPTURING);
        await op.captureFace(faceUpload(id, portrait));
        await op.captureFingerprints(fingerprintUpload(id, tenPrintRecord(syntheticPerson(301))));
        await op.submitForReview({ applicationId: id });
        await eventually(
          async () => (await sup.getApplication({ applicationId: id })).application!.application!.stage,
          (stage) => stage === ApplicationStage.REVIEW,
        );
        await sup.approveApplication({ applicationId: id });
      } finally {
        closeClient(op);
        closeClient(sup);
      }
    }
    await eventually(
      async () => published.filter((e) => e.applicationId === id).map((e) => e.application!.stage),
      (stages) => stages.includes(ApplicationStage.SUBMITTED),
    );
    await running.stop();

    running = await startEnrollment(config, { transport });
    const sup = supervisor();
    const cardProduction = createClient(PersonalisationDataService, running.grpc.address, {
      metadata: () => asService(issuer, 'card-production'),
    });
    try {
      const after = (await sup.getApplication({ applicationId: id })).application!.application!;
      assert.equal(after.stage, ApplicationStage.SUBMITTED);
      const released = await cardProduction.getPortrait({
        applicationId: id,
        reference: after.face!.reference,
      });
      assert.equal(released.sha256, sha256(portrait));
      assert.equal(released.mediaType, 'image/png');
      await transport.publish([
        toKafkaRecord({
          topic: CARD_PRODUCTION_CARD_TOPIC.name,
          schema: CardChangedSchema,
          data: create(CardChangedSchema, {
            cardId: 'card-301',
            cardVersion: 7n,
            card: {
              cardId: 'card-301',
              applicationId: id,
              citizenId: after.citizenId,
              status: CardStatus.ACTIVATED,
            },
          }),
          id: randomUUID(),
          source: '/cancuoc/card-production',
          time: new Date(),
          subject: 'card-301',
          traceparent: undefined,
          correlationId: undefined,
          causationId: undefined,
          sequence: 7,
        }),
      ]);
      await eventually(
        async () => (await sup.getApplication({ applicationId: id })).application!.application!.stage,
        (stage) => stage === ApplicationStage.COMPLETED,
      );
      const verification = await eventually(
        () => running.audit.verify(),
        (v) => v.ok && v.unsealed === 0,
      );
      assert.ok(verification.ok && verification.sealed > 0n);
    } finally {
      closeClient(sup);
      closeClient(cardProduction);
      await running.stop();
    }
    const stages = published.filter((e) => e.applicationId === id).map((e) => e.application!.stage);
    assert.equal(new Set(stages.filter((s) => s === ApplicationStage.SUBMITTED)).size, 1);
    assert.ok(stages.includes(ApplicationStage.COMPLETED));
  });
});
