/**
 * The registry on the embedded default: PGlite in a data folder, the in-process transport and cache,
 * the development issuer's keys beside it, plaintext on loopback, nothing installed. A restart
 * continues from the folder and keeps accepting the issuer's tokens.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bearerFor, developmentIssuerFile, DevelopmentIssuer, identities } from '@cancuoc/auth';
import { closeClient, createClient } from '@cancuoc/grpc';
import { RegistryService, Sex } from '@cancuoc/proto';
import { startRegistry, type RunningRegistry } from './app.js';
import { configFromEnv, type RegistryConfig } from './config.js';
import { TODAY } from './test-support/registry-fixture.js';

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
  // What `cancuoc token` does on this machine: the issuer's key file, a clerk of Cần Thơ (92).
  if (config.auth.mode !== 'embedded') throw new Error('an embedded configuration is expected');
  const issuer = await DevelopmentIssuer.open(config.auth.issuerFile);
  const metadata = await bearerFor(issuer, identities.clerk('test', '92'), 'registry');
  const client = createClient(RegistryService, running.grpc.address, { metadata: () => metadata });
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
    const root = await mkdtemp(join(tmpdir(), 'cancuoc-registry-'));
    const config: RegistryConfig = {
      ...configFromEnv({ DATA_DIR: join(root, 'registry'), REGISTRY_GRPC_PORT: '0' }),
      staleAfterDays: 365,
    };
    assert.deepEqual(config.auth, { mode: 'embedded', issuerFile: developmentIssuerFile(root) });
    assert.equal(config.tls, undefined);
    assert.equal(config.grpcHost, '127.0.0.1', 'plaintext only on loopback');
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
      await rm(root, { recursive: true, force: true });
    }
  });
});
