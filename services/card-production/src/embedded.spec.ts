/**
 * Card production on the embedded default: PGlite in a data folder, the in-process transport, the
 * in-memory lease board, keys and the vault's key beside the data. Nothing installed but the
 * enrollment test double. A restart continues from the folder; the all-in-one process hands every
 * service one transport.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { DevelopmentIssuer, developmentIssuerFile, identities } from '@cancuoc/auth';
import { Database } from '@cancuoc/eventstore';
import { closeClient } from '@cancuoc/grpc';
import { InProcessTransport, inProcessLogMigrations } from '@cancuoc/messaging';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  CardChangedSchema,
  CardJobStatus,
  CardStatus,
  topicCatalogue,
} from '@cancuoc/proto';
import { startCardProduction, type RunningCardProduction, type StartOptions } from './app.js';
import type { CardProductionConfig } from './config.js';
import { StationSimulator } from './station/simulator.js';
import { applicationChanged, publishApplication } from './test-support/applications.js';
import { EnrollmentDouble } from './test-support/enrollment-double.js';
import { adminClient, eventually, stationTokens } from './test-support/fixture.js';
import { portrait } from './test-support/portraits.js';
import { pemBody } from './infrastructure/keys/pem.js';
import { readFile } from 'node:fs/promises';

async function published(running: RunningCardProduction): Promise<number> {
  const [row] = await running.db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM mq_records WHERE topic = $1`,
    [CARD_PRODUCTION_CARD_TOPIC.name],
  );
  return Number(row!.n);
}

async function encodeOne(
  running: RunningCardProduction,
  keyDir: string,
  issuer: DevelopmentIssuer,
): Promise<void> {
  const csca = pemBody(await readFile(join(keyDir, 'csca.cert.pem'), 'utf8'));
  const simulator = new StationSimulator({
    address: running.grpc.address,
    tokens: stationTokens('embedded-01', issuer),
    capacity: 1,
    trustedCscas: [csca],
    maxJobs: 1,
  });
  simulator.start();
  assert.deepEqual(await simulator.done, { completed: 1, failed: 0, voided: 0 });
}

describe('card production, embedded (PGlite, in-process transport, memory lease board)', () => {
  let root: string;
  let enrollment: EnrollmentDouble;
  let config: CardProductionConfig;
  /** The platform's development issuer, from the key file the service reads too. */
  let issuer: DevelopmentIssuer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cancuoc-cp-embedded-'));
    issuer = await DevelopmentIssuer.open(developmentIssuerFile(root));
    enrollment = new EnrollmentDouble(issuer);
    await enrollment.start();
    config = {
      databaseUrl: undefined,
      dataDir: join(root, 'card-production'),
      redisUrl: undefined,
      redisKeyPrefix: 'card-production:',
      kafkaBrokers: undefined,
      kafkaIdempotent: false,
      kafkaSecurity: {},
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      auth: { mode: 'embedded', issuerFile: developmentIssuerFile(root) },
      tls: undefined,
      enrollmentAddress: enrollment.address,
      keyDir: join(root, 'card-production-keys'),
      developmentPki: true,
      documentSignerDays: 90,
      dataKey: undefined,
      maxAttempts: 3,
      leaseMs: 60_000,
      heartbeatMs: 15_000,
      retryBackoffMs: 0,
      maxRetryBackoffMs: 0,
      sweepMs: 500,
      pollMs: 500,
      personalisationConcurrency: 2,
      revocationListValidityMs: 3_600_000,
    };
  });
  after(async () => {
    await enrollment?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function withService<T>(
    options: StartOptions,
    work: (running: RunningCardProduction) => Promise<T>,
  ): Promise<T> {
    const running = await startCardProduction(config, options);
    try {
      return await work(running);
    } finally {
      await running.stop();
    }
  }

  it('makes a card from an application on its own log, and a restart keeps card, keys and relay position', async () => {
    const face = enrollment.hold('app-embedded-1', portrait('app-embedded-1'));
    const first = await withService({}, async (running) => {
      await publishApplication(
        running.transport,
        applicationChanged({ applicationId: 'app-embedded-1', face }),
      );
      await encodeOne(running, config.keyDir!, issuer);
      await eventually(
        async () => (await published(running)) >= 3,
        'CardChanged records on the in-process log',
      );
      const keyId = (await running.signers.current(new Date())).keyId;
      return { keyId, published: await published(running) };
    });
    await withService({}, async (running) => {
      const admin = adminClient(running.grpc.address, identities.administrator('ops-01'), issuer);
      try {
        const { card } = await admin.getCard({ card: { case: 'applicationId', value: 'app-embedded-1' } });
        assert.equal(card?.status, CardJobStatus.ENCODED);
        assert.equal(card?.documentSignerKeyId, first.keyId);
        assert.equal(
          (await running.signers.current(new Date())).keyId,
          first.keyId,
          'the same Document Signer after a restart',
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(await published(running), first.published, 'nothing relayed twice after the restart');
      } finally {
        closeClient(admin);
      }
    });
  });

  it('shares the all-in-one process’s transport: applications in, CardChanged out', async () => {
    const bus = await Database.connect({ dataDir: join(root, 'bus'), migrations: inProcessLogMigrations });
    await bus.migrate();
    const transport = new InProcessTransport({ db: bus });
    await transport.createTopics(
      topicCatalogue().map((t) => ({ name: t.name, partitions: t.partitions, retentionMs: t.retentionMs })),
    );
    const seen: CardStatus[] = [];
    const reader = await transport.subscribe({
      group: 'embedded-reader',
      topics: [CARD_PRODUCTION_CARD_TOPIC.name],
      handle: async (record) => void seen.push(fromBinary(CardChangedSchema, record.value!).card!.status),
    });
    try {
      const face = enrollment.hold('app-embedded-2', portrait('app-embedded-2'));
      await withService({ transport }, async (running) => {
        await publishApplication(transport, applicationChanged({ applicationId: 'app-embedded-2', face }));
        await encodeOne(running, config.keyDir!, issuer);
        await eventually(
          async () => seen.includes(CardStatus.ENCODED),
          'CardChanged ENCODED on the shared transport',
        );
      });
    } finally {
      await reader.stop();
      await transport.close();
      await bus.close();
    }
  });
});
