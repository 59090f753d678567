/**
 * Data sharing on the embedded default: PGlite in a data folder, the in-process transport (its own
 * log, where agencies' topics are made on approval) and in-memory rate limits and idempotency keys.
 * A restart continues from the folder without sending anything twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DevelopmentIssuer, developmentIssuerFile } from '@cancuoc/auth';
import { closeClient } from '@cancuoc/grpc';
import { Database } from '@cancuoc/eventstore';
import { InProcessTransport, inProcessLogMigrations } from '@cancuoc/messaging';
import { createLogger } from '@cancuoc/observability';
import { datasharing, REGISTRY_CITIZEN_TOPIC } from '@cancuoc/proto';
import { startDataSharing, type RunningDataSharing } from './app.js';
import { configFromEnv, type DataSharingConfig } from './config.js';
import { adminClient, agencyClient, DELIVERY, F, TODAY } from './test-support/harness.js';
import { eventually } from './test-support/partner-reader.js';
import { citizenInit, Upstream } from './test-support/upstream.js';

const QUIET = createLogger({ service: 'data-sharing', write: () => undefined });

async function withService<T>(
  config: DataSharingConfig,
  work: (running: RunningDataSharing) => Promise<T>,
): Promise<T> {
  const running = await startDataSharing(config, {
    today: () => TODAY,
    logger: QUIET,
  });
  try {
    return await work(running);
  } finally {
    await running.stop();
  }
}

/** The given name the embedded agency reads for `citizen` through the query API. */
async function givenNameOf(
  running: RunningDataSharing,
  issuer: DevelopmentIssuer,
  citizen: string,
): Promise<string | undefined> {
  const agency = await agencyClient(running.grpc.address, 'embedded-agency', { issuer });
  try {
    const reply = await agency.getCitizen({
      purpose: 'embedded-purpose',
      citizen: { key: { case: 'citizenId', value: citizen } },
    });
    return reply.citizen?.name?.givenName;
  } finally {
    closeClient(agency);
  }
}

const partnerRecords = async (running: RunningDataSharing) => {
  const [row] = await running.db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM mq_records WHERE topic = 'partner.embedded-agency.citizen.v1'`,
  );
  return Number(row!.n);
};

const embeddedConfig = (dataDir: string | undefined, auth: DataSharingConfig['auth']): DataSharingConfig => ({
  databaseUrl: undefined,
  dataDir,
  redisUrl: undefined,
  redisKeyPrefix: 'data-sharing:',
  kafkaBrokers: undefined,
  kafkaIdempotent: false,
  grpcHost: '127.0.0.1',
  grpcPort: 0,
  auth,
  tls: undefined,
  readsPerMinute: 100,
  verificationsPerMinute: 100,
  verificationsPerCitizenPerDay: 10,
  backfillBatchSize: 100,
});

describe('data sharing, embedded (PGlite, in-process transport)', () => {
  it('delivers to an agency’s in-process topics, answers its queries, and survives a restart', async () => {
    const platform = await mkdtemp(join(tmpdir(), 'cancuoc-data-sharing-'));
    // As the embedded platform runs it: DATA_DIR inside the platform's folder, whose issuer.json
    // (made on first start) signs every caller's token, plaintext on loopback.
    const config = configFromEnv({ DATA_DIR: join(platform, 'data-sharing'), DATA_SHARING_GRPC_PORT: '0' });
    assert.deepEqual(config.auth, { mode: 'embedded', issuerFile: developmentIssuerFile(platform) });
    assert.equal(config.grpcHost, '127.0.0.1');
    assert.equal(config.tls, undefined);
    const citizen = randomUUID();
    try {
      await withService(config, async (running) => {
        const issuer = await DevelopmentIssuer.open(developmentIssuerFile(platform));
        const upstream = new Upstream(running.transport);
        await upstream.publish(upstream.citizenRecord(citizen, citizenInit({ givenName: 'Nhúng' })));
        const requester = await adminClient(datasharing.SubscriptionService, running.grpc.address, 'an', {
          issuer,
        });
        const approver = await adminClient(datasharing.SubscriptionService, running.grpc.address, 'binh', {
          issuer,
        });
        try {
          const { subscription } = await requester.requestSubscription({
            agency: 'embedded-agency',
            agencyName: 'Embedded',
            purpose: 'embedded-purpose',
            purposeDescription: 'testing',
            legalBasis: 'Điều 1',
            terms: { fields: [F.NAME], scope: {}, delivery: DELIVERY.KAFKA_AND_GRPC },
          });
          await approver.approveSubscription({ subscriptionId: subscription!.subscriptionId });
        } finally {
          closeClient(requester);
          closeClient(approver);
        }
        await eventually(
          'the record and its change in the in-process log',
          async () => (await partnerRecords(running)) === 1,
        );
        assert.equal(await givenNameOf(running, issuer, citizen), 'Nhúng');
      });
      await withService(config, async (running) => {
        // The same keys after the restart: the issuer's file, not a key of the process.
        const issuer = await DevelopmentIssuer.open(developmentIssuerFile(platform));
        assert.equal(await givenNameOf(running, issuer, citizen), 'Nhúng');
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal(await partnerRecords(running), 1, 'nothing delivered twice after the restart');
        await running.audit.seal();
        assert.equal((await running.audit.verify()).ok, true);
      });
    } finally {
      await rm(platform, { recursive: true, force: true });
    }
  });

  it('joins the all-in-one process’s shared transport, and leaves it open when it stops', async () => {
    const shared = await Database.connect({ migrations: inProcessLogMigrations });
    await shared.migrate();
    const transport = new InProcessTransport({ db: shared });
    try {
      const issuer = await DevelopmentIssuer.inMemory();
      const running = await startDataSharing(embeddedConfig(undefined, { mode: 'issuer', issuer }), {
        transport,
        today: () => TODAY,
        logger: QUIET,
      });
      try {
        const upstream = new Upstream(transport);
        const citizen = randomUUID();
        await upstream.publish(upstream.citizenRecord(citizen, citizenInit()));
        await eventually('the record consumed from the shared log', async () => {
          const [row] = await running.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ds_citizens`);
          return row!.n === '1';
        });
      } finally {
        await running.stop();
      }
      assert.ok(
        (await transport.endOffsets(REGISTRY_CITIZEN_TOPIC.name)).size > 0,
        'the shared transport is still open',
      );
    } finally {
      await transport.close();
      await shared.close();
    }
  });
});
