/**
 * Issue 21, end to end over gRPC on the real administrative data: an address recorded before the
 * 2025 reorganisation resolves to its successor without being rewritten (a 2020 address in Thủ Dầu
 * Một, Bình Dương, reads as its ward of Hồ Chí Minh City), and one in a divided commune joins the
 * recoding queue, which a clerk of the province works through by choosing the successor — an
 * event in the citizen's history, after which the queue is empty. On PostgreSQL and Redis, and on
 * the embedded default (PGlite, in-process transport and cache).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bearerFor, DevelopmentIssuer, identities, type Identity } from '@cancuoc/auth';
import { captureRun, recodingCommand } from '@cancuoc/operations';
import { closeClient, createClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { createLogger } from '@cancuoc/observability';
import { RegistryService, ResidenceStatus, Sex } from '@cancuoc/proto';
import { TEST_REDIS_URL, createTestDatabase } from '@cancuoc/testing';
import { startRegistry, type RunningRegistry } from './app.js';
import { configFromEnv, type RegistryConfig } from './config.js';
import { TODAY } from './test-support/registry-fixture.js';

type Client = GrpcClient<typeof RegistryService>;

const HANG_DAO = { provinceCode: '001', communeCode: '00049', detail: '' };
/** Phường Hiệp Thành (Thủ Dầu Một, Bình Dương): divided on 2025-07-01 between two wards of Hồ Chí Minh City. */
const HIEP_THANH_2020 = { provinceCode: '074', communeCode: '25741', detail: '12 Đường 30 Tháng 4' };
/** Phường Phú Cường (Thủ Dầu Một, Bình Dương): wholly within Phường Thủ Dầu Một (Hồ Chí Minh City) now. */
const PHU_CUONG_2020 = { provinceCode: '074', communeCode: '25747', detail: '3 Bạch Đằng' };

function facts(birthDate: string, givenName: string) {
  return {
    name: { familyName: 'Lâm', middleName: 'Văn', givenName },
    birthDate,
    sex: Sex.MALE,
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birthPlace: HANG_DAO,
    homeTown: HANG_DAO,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 20_000; ;) {
    const found = await probe();
    if (found !== undefined) return found;
    assert.ok(Date.now() < deadline, `${what}: the read model did not catch up`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const refusal = (e: unknown) => readErrorDetails(e);

/** The scenario, on a running registry whose tokens `issuer` signs. */
async function recodingScenario(running: RunningRegistry, issuer: DevelopmentIssuer): Promise<void> {
  const clients: Client[] = [];
  const as = async (identity: Identity) => {
    const metadata = await bearerFor(issuer, identity, 'registry');
    const client = createClient(RegistryService, running.grpc.address, {
      metadata: () => metadata,
      defaultTimeoutMs: 20_000,
    });
    clients.push(client);
    return client;
  };
  try {
    const national = await as(identities.clerk('rec-national', '79', { national: true }));
    const hcm = await as(identities.clerk('rec-hcm', '79'));
    const canTho = await as(identities.clerk('rec-ct', '92'));
    const purpose = 'recoding after the 2025 reorganisation';

    // Two people living in Thủ Dầu Một since 2020: one in Phú Cường, one in Hiệp Thành.
    await national.registerExistingCitizen({
      facts: facts('1987-03-04', 'Cường'),
      personalId: '001087000301',
    });
    await national.registerExistingCitizen({
      facts: facts('1988-05-06', 'Thành'),
      personalId: '001088000302',
    });
    const cuong = { personalId: '001087000301' };
    const thanh = { personalId: '001088000302' };

    // An address is judged by the units in force on its date: the 2020 map for 2020 …
    await national.registerPermanentResidence({
      citizen: cuong,
      address: PHU_CUONG_2020,
      since: '2020-03-01',
    });
    await national.registerPermanentResidence({
      citizen: thanh,
      address: HIEP_THANH_2020,
      since: '2020-05-01',
    });
    // … and today's for today: Bình Dương and Hiệp Thành are no longer in force.
    const late = await national
      .registerPermanentResidence({ citizen: thanh, address: HIEP_THANH_2020, since: TODAY.toString() })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(late?.code, status.INVALID_ARGUMENT);
    assert.deepEqual(
      late?.badRequest?.fieldViolations.map((v) => `${v.field}:${v.reason}`),
      ['address.province_code:UNKNOWN_UNIT'],
    );

    // The 2020 address in Thủ Dầu Một reads as its ward of Hồ Chí Minh City, recorded one unchanged.
    const cuongView = await hcm.getCitizen({ ...cuong, purpose });
    assert.deepEqual(
      [
        cuongView.citizen?.permanentResidence?.provinceCode,
        cuongView.citizen?.permanentResidence?.communeCode,
      ],
      ['074', '25747'],
      'the recorded address is not rewritten',
    );
    const today = cuongView.permanentResidenceToday!;
    assert.equal(today.status, ResidenceStatus.RESOLVED);
    assert.deepEqual(
      [today.provinceCode, today.provinceName, today.communeCode, today.communeName],
      ['079', 'Thành phố Hồ Chí Minh', '25747', 'Phường Thủ Dầu Một'],
    );

    // Hiệp Thành was divided: the record needs recoding, and is queued under its old commune.
    const thanhView = await hcm.getCitizen({ ...thanh, purpose });
    assert.equal(thanhView.permanentResidenceToday?.status, ResidenceStatus.NEEDS_RECODING);
    assert.deepEqual(
      thanhView.permanentResidenceToday?.candidates.map((c) => `${c.code} ${c.name}`),
      ['25747 Phường Thủ Dầu Một', '25750 Phường Phú Lợi'],
    );
    const queue = await until('the queue of Hiệp Thành', async () => {
      const page = await hcm.listRecodingQueue({
        scope: { case: 'oldCommuneCode', value: '25741' },
        purpose,
      });
      return page.entries.length > 0 ? page : undefined;
    });
    assert.equal(queue.entries.length, 1);
    const entry = queue.entries[0]!;
    assert.deepEqual(
      {
        personalId: entry.personalId,
        recorded: [entry.recorded?.provinceCode, entry.recorded?.communeCode, entry.recorded?.detail],
        since: entry.since,
        name: entry.recordedCommuneName,
        reason: entry.reason,
        province: entry.provinceCode,
        candidates: entry.candidates.map((c) => c.code),
      },
      {
        personalId: thanh.personalId,
        recorded: ['074', '25741', HIEP_THANH_2020.detail],
        since: '2020-05-01',
        name: 'Phường Hiệp Thành',
        reason: 'DIVIDED',
        province: '079',
        candidates: ['25747', '25750'],
      },
    );
    const byProvince = await hcm.listRecodingQueue({
      scope: { case: 'provinceCode', value: '079' },
      purpose,
    });
    assert.deepEqual(
      byProvince.entries.map((e) => e.personalId),
      [thanh.personalId],
      'the resolved address is not queued',
    );
    const flags = (await hcm.getCitizen({ ...thanh, purpose })).openQualityFlags.map((f) => f.kind);
    assert.ok(flags.includes('ADDRESS_NEEDS_RECODING'), flags.join());

    // A clerk of another province sees none of it and may choose nothing.
    const outside = await canTho
      .listRecodingQueue({ scope: { case: 'provinceCode', value: '079' }, purpose })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(outside?.code, status.PERMISSION_DENIED);
    assert.equal(outside?.errorInfo?.reason, 'OUTSIDE_JURISDICTION');
    const filtered = await canTho.listRecodingQueue({
      scope: { case: 'oldCommuneCode', value: '25741' },
      purpose,
    });
    assert.equal(filtered.entries.length, 0);
    const foreign = await canTho
      .recodeResidence({ citizen: thanh, communeCode: '25750' })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(foreign?.errorInfo?.reason, 'OUTSIDE_JURISDICTION');

    // Only a successor may be chosen; an address with one successor has nothing to choose.
    const wrong = await hcm
      .recodeResidence({ citizen: thanh, communeCode: '31120' })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(wrong?.code, status.FAILED_PRECONDITION);
    assert.deepEqual(
      wrong?.preconditionFailure?.violations.map((v) => `${v.subject}:${v.type}`),
      ['commune_code:NOT_A_SUCCESSOR'],
    );
    const nothing = await hcm
      .recodeResidence({ citizen: cuong, communeCode: '25747' })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(nothing?.errorInfo?.reason, 'NO_RECODING_NEEDED');

    // The clerk of Hồ Chí Minh City chooses Phú Lợi: an event in the history.
    const { result } = await hcm.recodeResidence({ citizen: thanh, communeCode: '25750' });
    const again = await hcm
      .recodeResidence({ citizen: thanh, communeCode: '25747' })
      .then(() => assert.fail('accepted'), refusal);
    assert.equal(again?.errorInfo?.reason, 'ALREADY_RECODED');
    const history = await hcm.getCitizenHistory({ ...thanh, purpose });
    const last = history.entries.at(-1)!;
    assert.equal(last.change, 'ResidenceRecoded');
    assert.equal(last.recordVersion, result!.recordVersion);
    assert.equal(last.actor, 'clerk:rec-hcm');
    assert.deepEqual(JSON.parse(last.detailsJson), {
      recorded: { provinceCode: '074', communeCode: '25741' },
      since: '2020-05-01',
      provinceCode: '079',
      communeCode: '25750',
      recodedOn: TODAY.toString(),
    });
    const recoded = await hcm.getCitizen({ ...thanh, purpose });
    assert.deepEqual(
      [recoded.citizen?.permanentResidence?.communeCode, recoded.permanentResidenceToday?.status],
      ['25741', ResidenceStatus.RECODED],
      'the recorded commune is kept beside the chosen one',
    );
    assert.equal(recoded.permanentResidenceToday?.communeName, 'Phường Phú Lợi');

    // The queue is empty, the flag gone, and the citizen found in the ward chosen.
    await until('the queue emptied', async () => {
      const page = await hcm.listRecodingQueue({
        scope: { case: 'oldCommuneCode', value: '25741' },
        purpose,
      });
      return page.entries.length === 0 ? true : undefined;
    });
    const inPhuLoi = await hcm.searchCitizens({
      criteria: { case: 'byCommune', value: { communeCode: '25750' } },
      purpose,
    });
    assert.deepEqual(
      inPhuLoi.citizens.map((c) => c.personalId),
      [thanh.personalId],
    );
    const after = (await hcm.getCitizen({ ...thanh, purpose })).openQualityFlags.map((f) => f.kind);
    assert.ok(!after.includes('ADDRESS_NEEDS_RECODING'), after.join());
    // Every queue entry returned was audited as disclosed.
    const [audited] = await running.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM audit_entries WHERE action = 'citizen.recoding-queue'`,
    );
    assert.ok(Number(audited!.n) >= 2, audited!.n);
  } finally {
    for (const client of clients) closeClient(client);
  }
}

/** The same queue through `cancuoc recoding`, as a clerk of the embedded platform in `root`. */
async function recodingCommands(
  running: RunningRegistry,
  issuer: DevelopmentIssuer,
  root: string,
): Promise<void> {
  const metadata = await bearerFor(issuer, identities.clerk('rec-cli', '79', { national: true }), 'registry');
  const national = createClient(RegistryService, running.grpc.address, { metadata: () => metadata });
  try {
    const personalId = '001090000303';
    await national.registerExistingCitizen({ facts: facts('1990-01-02', 'Lợi'), personalId });
    await national.registerPermanentResidence({
      citizen: { personalId },
      address: { ...HIEP_THANH_2020, detail: '8 Yersin' },
      since: '2021-02-03',
    });
    const env = { PATH: process.env.PATH };
    const flags = ['--data-dir', root, '--registry', running.grpc.address, '--staff', 'cli-1'];
    const listed = await until('the queue through the CLI', async () => {
      const r = await captureRun(
        recodingCommand,
        ['list', '--commune', '25741', '--unit', '79', ...flags],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.includes(personalId) ? r.stdout : undefined;
    });
    assert.match(listed, /25741 Phường Hiệp Thành/);
    assert.match(listed, /25747 Phường Thủ Dầu Một; 25750 Phường Phú Lợi/);
    // A clerk of Cần Thơ is refused; one of Hồ Chí Minh City chooses.
    const refused = await captureRun(
      recodingCommand,
      ['choose', personalId, '25750', '--unit', '92', ...flags],
      env,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /PERMISSION_DENIED/);
    const noUnit = await captureRun(recodingCommand, ['choose', personalId, '25750', ...flags], env);
    assert.equal(noUnit.code, 2, noUnit.stderr);
    const chosen = await captureRun(
      recodingCommand,
      ['choose', personalId, '25750', '--unit', '79', ...flags],
      env,
    );
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.match(chosen.stdout, /recoded: record version 3/);
    const history = await national.getCitizenHistory({ personalId, purpose: 'test' });
    assert.deepEqual(
      [history.entries.at(-1)?.change, history.entries.at(-1)?.actor],
      ['ResidenceRecoded', 'clerk:cli-1'],
    );
    await until('the queue emptied, through the CLI', async () => {
      const r = await captureRun(
        recodingCommand,
        ['list', '--province', '079', '--unit', '79', ...flags],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.includes(personalId) ? undefined : true;
    });
  } finally {
    closeClient(national);
  }
}

describe('issue 21: the recoding queue, end to end over gRPC', () => {
  it('on PostgreSQL and Redis', async () => {
    const db = await createTestDatabase('registry_recoding');
    const issuer = await DevelopmentIssuer.inMemory();
    const running = await startRegistry(
      {
        databaseUrl: db.url,
        dataDir: undefined,
        redisUrl: TEST_REDIS_URL,
        kafkaBrokers: undefined,
        kafkaIdempotent: false,
        kafkaSecurity: {},
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        auth: { mode: 'issuer', issuer },
        tls: undefined,
        staleAfterDays: 365,
      },
      { migrate: true, today: () => TODAY, logger: createLogger({ service: 'registry', level: 'error' }) },
    );
    try {
      await recodingScenario(running, issuer);
    } finally {
      await running.stop();
      await db.drop();
    }
  });

  it('on the embedded default (PGlite, in-process transport)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cancuoc-recoding-'));
    const config: RegistryConfig = {
      ...configFromEnv({ DATA_DIR: join(root, 'registry'), REGISTRY_GRPC_PORT: '0' }),
      staleAfterDays: 365,
    };
    if (config.auth.mode !== 'embedded') throw new Error('an embedded configuration is expected');
    const running = await startRegistry(config, {
      today: () => TODAY,
      logger: createLogger({ service: 'registry', level: 'error' }),
    });
    try {
      const issuer = await DevelopmentIssuer.open(config.auth.issuerFile);
      await recodingScenario(running, issuer);
      await recodingCommands(running, issuer, root);
    } finally {
      await running.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
