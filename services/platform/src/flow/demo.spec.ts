/**
 * The demo's promises against the embedded platform (`startPlatform`, PGlite, in-process transport):
 * at concurrency 48 no minor is registered without its parents; and when the platform goes away
 * mid-demo the demo says so and stops, and a run with the same seed on the restarted platform
 * finishes every citizen the first one left part of the way — each card encoded once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CalendarDate, ageAt } from '@cancuoc/identity';
import { developmentCredentials } from '@cancuoc/operations';
import { ApplicationStage, CardJobStatus, CardProductionService, RegistryService } from '@cancuoc/proto';
import { generatePopulation } from '@cancuoc/synthetic';
import { Connection } from '../cli/connection.js';
import { COMMANDS } from '../cli/commands/index.js';
import { runCli } from '../cli/registry.js';
import { startPlatform, type RunningPlatform } from '../platform.js';
import { agencyReceivedCards, presentFields } from './agency.js';
import { SEED_CLERK, populationOf } from './citizens.js';
import { runDemo } from './demo.js';
import { DEMO_ADMINISTRATOR, enrollmentStationOf } from './enroll.js';
import { pool } from './pool.js';
import { applicationsAt, resumePoint } from './resume.js';

const ENV = { ...process.env, LOG_LEVEL: 'error', ENROLLMENT_REPROCESS_INTERVAL_MS: '100' };
const PORTS = { registry: 0, enrollment: 0, 'card-production': 0, 'data-sharing': 0 } as const;

const start = (dataDir: string) => startPlatform({ dataDir, ports: PORTS, env: ENV });
const connect = (platform: RunningPlatform) =>
  Connection.of(platform.addresses, developmentCredentials(platform.issuer));

describe('the demo on the embedded platform', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-demo-'));
  });
  after(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('registers no minor without both parents at concurrency 48', { timeout: 300_000 }, async () => {
    const COUNT = 200;
    const SEED = 48;
    const platform = await start(join(folder, 'parents'));
    const connection = connect(platform);
    try {
      const population = populationOf(connection, { count: COUNT, seed: SEED });
      const ids: string[] = [];
      await pool(
        Array.from({ length: COUNT }, (_, i) => i),
        48,
        async (index) => {
          const { citizen, earlier } = await population.register(index);
          assert.equal(earlier, false);
          ids[index] = citizen.citizenId;
        },
      );
      // The record of each minor names the rows of its father and mother, as the register holds them.
      const rows = [...generatePopulation({ count: COUNT, seed: SEED })];
      const indexOf = new Map(rows.map((r, i) => [r.personal_id, i]));
      const today = CalendarDate.fromInstant(new Date());
      const registry = connection.client(RegistryService, 'registry', SEED_CLERK);
      let minors = 0;
      for (const [index, row] of rows.entries()) {
        if (ageAt(CalendarDate.parse(row.birth_date), today) >= 18) continue;
        minors += 1;
        const { citizen } = await registry.getCitizen({ personalId: row.personal_id, purpose: 'demo-spec' });
        assert.equal(citizen!.fatherCitizenId, ids[indexOf.get(row.father_personal_id)!], `row ${index}`);
        assert.equal(citizen!.motherCitizenId, ids[indexOf.get(row.mother_personal_id)!], `row ${index}`);
      }
      assert.ok(minors >= 25, `${minors} minors`);
    } finally {
      connection.close();
      await platform.stop();
    }
  });

  it(
    'stops saying the platform is not reachable, and a rerun with the seed finishes every citizen',
    { timeout: 600_000 },
    async (t) => {
      const CITIZENS = 20;
      const SEED = 4242;
      const dataDir = join(folder, 'resume');
      let platform = await start(dataDir);
      // The first run: the CLI command, stopped under it once three cards are issued.
      let stopping: Promise<void> | undefined;
      let stoppedAt = 0;
      let stderr = '';
      const flags = Object.entries(platform.addresses).flatMap(([service, address]) => [
        `--${service}`,
        address,
      ]);
      const argv = ['demo', '--citizens', String(CITIZENS), '--seed', String(SEED), '--concurrency', '8'];
      const code = await runCli(
        [...argv, ...flags, '--data-dir', dataDir],
        {
          stdout: () => undefined,
          stderr: (text) => {
            stderr += text;
            if (!stopping && new RegExp(`cards issued\\s+([3-9]|\\d\\d)/${CITIZENS}`).test(stderr)) {
              stoppedAt = Date.now();
              stopping = platform.stop();
            }
          },
          env: { ...process.env, CANCUOC_DATA_DIR: dataDir },
        },
        COMMANDS,
      );
      const stoppedIn = Date.now() - stoppedAt;
      assert.ok(stopping, `the platform was stopped mid-demo:\n${stderr}`);
      await stopping;
      assert.equal(code, 1, stderr);
      const said = stderr.split('\n').find((l) => l.includes('platform not reachable at'));
      assert.ok(said, stderr);
      const finished = Number(
        new RegExp(`: (\\d+) of ${CITIZENS} citizens finished; run \`cancuoc demo `).exec(said)?.[1],
      );
      assert.ok(finished >= 3 && finished < CITIZENS, said);
      assert.match(said, new RegExp(`--seed ${SEED}`));
      assert.match(said, /again to finish them$/);
      assert.ok(stoppedIn < 30_000, `stopped ${stoppedIn} ms after the platform went away`);
      t.diagnostic(`${said} (${stoppedIn} ms after the stop began)`);

      // Again on the same folder: the rerun takes every citizen on from where it was left.
      platform = await start(dataDir);
      const connection = connect(platform);
      try {
        const stations = [...new Set(Array.from({ length: CITIZENS }, (_, i) => enrollmentStationOf(i)))];
        const before = await applicationsAt(connection, stations);
        const left = [...before.values()].map((apps) => resumePoint(apps).kind);
        const result = await runDemo(connection, {
          citizens: CITIZENS,
          seed: SEED,
          concurrency: 8,
          stations: 2,
        });
        t.diagnostic(
          `left by the first run: ${left.join(',')}; resumed ${result.resumed}, new ${result.registered}, done before ${result.alreadyRegistered}`,
        );
        assert.equal(result.blocked.size, 0, JSON.stringify([...result.blocked]));
        assert.equal(result.citizens.length + result.alreadyRegistered, CITIZENS);
        assert.ok(result.alreadyRegistered >= finished, `${result.alreadyRegistered} done before`);
        assert.ok(result.resumed > 0, `resumed ${result.resumed} (left: ${left.join(',')})`);

        // Every citizen of the seed: one application not cancelled, one card, encoded once, issued,
        // and the agency holding the citizen with exactly its fields.
        const after = await applicationsAt(connection, stations);
        const admin = connection.client(CardProductionService, 'card-production', DEMO_ADMINISTRATOR);
        const registry = connection.client(RegistryService, 'registry', SEED_CLERK);
        const rows = [...generatePopulation({ count: CITIZENS, seed: SEED })];
        const allIds: string[] = [];
        for (const row of rows) {
          const { citizenId } = await registry.getCitizen({
            personalId: row.personal_id,
            purpose: 'demo-spec',
          });
          allIds.push(citizenId);
          const applications = (after.get(citizenId) ?? []).filter(
            (a) => a.stage !== ApplicationStage.CANCELLED,
          );
          assert.equal(applications.length, 1, `one application of ${citizenId}`);
          const { card, history } = await admin.getCard({
            card: { case: 'applicationId', value: applications[0]!.applicationId },
          });
          assert.equal(card!.status, CardJobStatus.ACTIVATED);
          assert.equal(history.filter((h) => h.change === 'CardEncoded').length, 1, `card ${card!.cardId}`);
          assert.equal(card!.voidedChips.length, 0);
        }
        const view = await agencyReceivedCards(connection, result.agency, allIds, { timeoutMs: 120_000 });
        const allowed = [...result.agency.fields].sort((a, b) => a - b);
        for (const id of allIds) assert.deepEqual(presentFields(view.get(id)!), allowed);
      } finally {
        connection.close();
        await platform.stop();
      }
    },
  );
});
