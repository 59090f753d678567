/**
 * The registry on the embedded default: PGlite in a data folder, the in-process transport and cache,
 * nothing installed. A restart continues from the folder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { closeClient, createClient, signToken } from '@cancuoc/grpc';
import { RegistryService, Sex } from '@cancuoc/proto';
import { startRegistry, type RunningRegistry } from './app.js';
import type { RegistryConfig } from './config.js';
import { TODAY } from './test-support/registry-fixture.js';

const SECRET = 'embedded-test-secret-0123456789-0123456789';
const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };

/** Starts the registry, runs `work` with a client, and always stops it. */
async function withRegistry<T>(
  config: RegistryConfig,
  work: (
    client: ReturnType<typeof createClient<typeof RegistryService>>,
    running: RunningRegistry,
  ) => Promise<T>,
): Promise<T> {
  const running = await startRegistry(config, { today: () => TODAY });
  const token = signToken(SECRET, { sub: 'clerk:test', aud: 'registry' });
  const client = createClient(RegistryService, running.grpc.address, {
    metadata: () => ({ authorization: `Bearer ${token}` }),
  });
  try {
    return await work(client, running);
  } finally {
    closeClient(client);
    await running.stop();
  }
}

async function published(running: RunningRegistry): Promise<number> {
  const [row] = await running.db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM mq_records WHERE topic = 'internal.registry.citizen.v1'`,
  );
  return Number(row!.n);
}

describe('registry, embedded (PGlite, in-process transport)', () => {
  it('serves commands and queries, publishes to the in-process log, and survives a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cancuoc-registry-'));
    const config: RegistryConfig = {
      databaseUrl: undefined,
      dataDir,
      redisUrl: undefined,
      kafkaBrokers: undefined,
      kafkaIdempotent: false,
      kafkaSecurity: {},
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      authSecret: SECRET,
      staleAfterDays: 365,
    };
    try {
      const personalId = await withRegistry(config, async (client, running) => {
        const { registration } = await client.registerBirth({
          facts: {
            name: { familyName: 'Hồ', givenName: 'An' },
            birthDate: '2026-11-01',
            sex: Sex.MALE,
            nationality: 'VNM',
            ethnicity: 'Kinh',
            religion: 'Không',
            birthPlace: CAI_KHE,
            homeTown: CAI_KHE,
            permanentResidence: CAI_KHE,
          },
        });
        assert.match(registration!.personalId, /^092226\d{6}$/);
        const deadline = Date.now() + 20_000;
        while ((await published(running)) < 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await published(running), 2, 'both events relayed to the in-process log');
        return registration!.personalId;
      });
      await withRegistry(config, async (client, running) => {
        const view = await client.getCitizen({ personalId, purpose: 'test' });
        assert.equal(view.citizen?.givenName, 'An');
        assert.equal(view.recordVersion, 2n);
        assert.equal(await published(running), 2, 'nothing relayed twice after the restart');
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
