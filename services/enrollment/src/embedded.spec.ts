/**
 * Enrollment on the embedded default: PGlite in a data folder, the in-memory rate limits and an
 * in-process transport shared with the rest of the process (the all-in-one launcher's case). The
 * registry it reads from runs as its own process (on PostgreSQL, which starts faster than a second
 * PGlite). A restart continues from the folder.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { Database } from '@cancuoc/eventstore';
import { closeClient, createClient } from '@cancuoc/grpc';
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
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { startEnrollment, type RunningEnrollment } from './app.js';
import { testConfig } from './test-support/config.js';
import { asClerk, asService, asSupervisor, atStation } from './test-support/callers.js';
import { pngImage, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import { eventually, faceUpload, fingerprintUpload, registerCitizen, sha256 } from './test-support/flow.js';
import { startRegistryProcess, type RegistryProcess } from './test-support/registry-process.js';

const SECRET = 'enrollment-embedded-test-secret-0123456789';

describe('enrollment, embedded (PGlite, in-process transport, memory rate limits)', () => {
  let folder: string;
  let registryDb: TestDatabase;
  let registryProcess: RegistryProcess;
  let bus: Database;
  let transport: InProcessTransport;
  let reader: TransportSubscription;
  const published: CardApplicationChanged[] = [];

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-enrollment-'));
    registryDb = await createTestDatabase('enrollment_embedded_registry');
    registryProcess = await startRegistryProcess({ databaseUrl: registryDb.url, authSecret: SECRET });
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
    await registryProcess?.stop();
    await registryDb?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('serves an application from start to completion, publishes to the shared transport, and survives a restart', async () => {
    const config = testConfig({
      dataDir: join(folder, 'enrollment'),
      authSecret: SECRET,
      registryAddress: registryProcess.address,
      startsPerMinute: 100,
      reprocessIntervalMs: 50,
    });
    const registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(SECRET),
    });
    await registerCitizen(registry, '001190000301');
    closeClient(registry);

    let running: RunningEnrollment = await startEnrollment(config, { transport });
    const operator = () =>
      createClient(EnrollmentService, running.grpc.address, {
        metadata: () => atStation(SECRET, 'em-001', 'em-01'),
      });
    const supervisor = () =>
      createClient(EnrollmentService, running.grpc.address, {
        metadata: () => asSupervisor(SECRET, 'em-100'),
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
      metadata: () => asService(SECRET, 'card-production'),
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
