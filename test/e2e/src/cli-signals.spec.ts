/**
 * The `cancuoc` commands an operator leaves running, as child processes against an embedded
 * platform (`startPlatform` in this process): `cancuoc station` encoding the jobs that enrollment's
 * approvals queued, and stopping on SIGTERM or SIGINT with nothing left leased to it; and
 * `cancuoc demo` stopped by Ctrl-C part of the way — the citizens in flight finished, a summary,
 * exit 130, a platform a second run continues — and by a second Ctrl-C at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { identities } from '@cancuoc/auth';
import { developmentCredentials } from '@cancuoc/operations';
import {
  Connection,
  DEMO_AGENCY,
  agencyView,
  enrollCitizen,
  seedCitizens,
  startPlatform,
  until,
  type RunningPlatform,
} from '@cancuoc/platform';
import {
  ApplicationStage,
  CardJobStatus,
  CardProductionService,
  EnrollmentService,
  type CardJob,
} from '@cancuoc/proto';
import { assertExactFields } from './support/checks.js';
import { cancuoc, spawnCancuoc } from '@cancuoc/testing';

/** Polls `probe` every 250 ms until it returns something, for at most a minute. */
const eventually = <T>(probe: () => Promise<T | undefined>, what: string): Promise<T> =>
  until(probe, (value) => value !== undefined, {
    timeoutMs: 60_000,
    intervalMs: 250,
    onTimeout: () => new Error(`${what}: not within 60000 ms`),
  }) as Promise<T>;

/** The job ids a `cancuoc station` run reports completed, from its stdout. */
const completed = (stdout: string, stationId: string) =>
  [...stdout.matchAll(new RegExp(`^${stationId} job-completed job (\\S+) chip SIM-[0-9A-F]{16}$`, 'gm'))].map(
    (m) => m[1]!,
  );
const received = (stdout: string, stationId: string) =>
  [...stdout.matchAll(new RegExp(`^${stationId} job-received job (\\S+)$`, 'gm'))].map((m) => m[1]!);

describe('cancuoc station and Ctrl-C, as an operator runs them', () => {
  let folder: string;
  let platform: RunningPlatform;
  let connection: Connection;
  /** Addresses and the platform's folder (its development issuer): the way to reach a platform started elsewhere. */
  let flags: string[];
  /** No other way to the issuer: the flags must be what the commands use. */
  let env: NodeJS.ProcessEnv;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cancuoc-cli-'));
    platform = await startPlatform({
      dataDir: join(folder, 'platform'),
      ports: { registry: 0, enrollment: 0, 'card-production': 0, 'data-sharing': 0 },
      env: { ...process.env, LOG_LEVEL: 'warn', ENROLLMENT_REPROCESS_INTERVAL_MS: '100' },
    });
    connection = Connection.of(platform.addresses, developmentCredentials(platform.issuer));
    flags = [
      ...Object.entries(platform.addresses).flatMap(([service, address]: [string, string]) => [
        `--${service}`,
        address,
      ]),
      '--data-dir',
      platform.dataDir,
    ];
    env = {
      CANCUOC_DATA_DIR: join(folder, 'not-the-platform'),
      CANCUOC_OIDC_ISSUER: '',
      CANCUOC_TOKEN: '',
      LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    connection?.close();
    await platform?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const admin = () =>
    connection.client(CardProductionService, 'card-production', identities.administrator('e2e-cli'));
  const cards = async (applicationIds: readonly string[]) =>
    Promise.all(
      applicationIds.map(async (applicationId) => {
        const { card, history } = await admin().getCard({
          card: { case: 'applicationId', value: applicationId },
        });
        return { card: card!, history: history.map((h) => h.change) };
      }),
    );
  /** Jobs that no station holds: queued, and never leased (so never counted as an attempt). */
  const untouched = (job: { card: CardJob; history: string[] }) =>
    job.card.status === CardJobStatus.QUEUED &&
    job.card.leaseId === '' &&
    job.card.attempts === 0 &&
    !job.history.includes('JobLeased');

  it('cancuoc station encodes each queued job exactly once, and SIGTERM or SIGINT settles the one in hand', async () => {
    // Four citizens approved at enrollment, their jobs queued at card production: no station runs here.
    const { citizens } = await seedCitizens(connection, { count: 4, seed: 3 });
    assert.equal(citizens.length, 4);
    const applications = await Promise.all(
      citizens.map((citizen) => enrollCitizen(connection, citizen, 'e2e-enrol-01', { timeoutMs: 120_000 })),
    );
    const ids = applications.map((a) => a.applicationId);
    const queued = await eventually(async () => {
      const now = await cards(ids).catch(() => undefined);
      return now?.every((j) => j.card.status === CardJobStatus.QUEUED) ? now : undefined;
    }, 'every job queued');
    const jobIds = queued.map((j) => j.card.cardId).sort();

    // --jobs 2, one at a time: two jobs done, and no third leased to a station that has gone.
    const first = await cancuoc(
      ['station', '--station-id', 'e2e-a', '--capacity', '1', '--jobs', '2', ...flags],
      env,
    );
    assert.equal(first.code, 0, first.stderr);
    const byFirst = completed(first.stdout, 'e2e-a');
    assert.equal(byFirst.length, 2, first.stdout);
    assert.deepEqual(received(first.stdout, 'e2e-a').sort(), [...byFirst].sort());
    assert.match(
      first.stderr,
      /^stations settled: 2 completed, 0 failed, 0 chips voided; no job left in hand$/m,
    );
    let now = await cards(ids);
    assert.deepEqual(
      now
        .filter((j) => j.card.status === CardJobStatus.ENCODED)
        .map((j) => j.card.cardId)
        .sort(),
      [...byFirst].sort(),
    );
    assert.equal(now.filter(untouched).length, 2, 'the other two still queued, never leased');

    // SIGTERM while the station writes a chip (2.5 s): it takes no other job and settles that one.
    const second = spawnCancuoc(
      ['station', '--station-id', 'e2e-b', '--capacity', '1', '--encode-ms', '2500', ...flags],
      env,
    );
    await second.until('stdout', /^e2e-b job-received job \S+$/m, 60_000);
    second.child.kill('SIGTERM');
    const b = await second.exit;
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /^Stopping: taking no other job, settling the 1 in hand/m);
    assert.match(b.stderr, /^stations stopped: 1 completed, 0 failed, 0 chips voided; no job left in hand$/m);
    const bySecond = completed(b.stdout, 'e2e-b');
    assert.equal(bySecond.length, 1, b.stdout);
    assert.deepEqual(received(b.stdout, 'e2e-b'), bySecond);
    now = await cards(ids);
    assert.equal(now.filter((j) => j.card.status === CardJobStatus.ENCODED).length, 3);
    assert.equal(now.filter(untouched).length, 1, 'the last one still queued, never leased');

    // SIGINT once it is idle again, the last job done.
    const third = spawnCancuoc(['station', '--station-id', 'e2e-c', '--capacity', '2', ...flags], env);
    await third.until('stdout', /^e2e-c job-completed job /m, 60_000);
    third.child.kill('SIGINT');
    const c = await third.exit;
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /^stations stopped: 1 completed, 0 failed, 0 chips voided; no job left in hand$/m);
    const byThird = completed(c.stdout, 'e2e-c');

    // Each job encoded once, by one of the three runs, under its one and only lease.
    assert.deepEqual([...byFirst, ...bySecond, ...byThird].sort(), jobIds);
    for (const { card, history } of await cards(ids)) {
      assert.equal(card.status, CardJobStatus.ENCODED, card.cardId);
      assert.deepEqual(
        history.filter((h) => ['JobLeased', 'LeaseExpired', 'LeaseReleased', 'CardEncoded'].includes(h)),
        ['JobLeased', 'CardEncoded'],
        `card ${card.cardId}: ${history.join(', ')}`,
      );
      assert.equal(card.attempts, 0);
      assert.deepEqual(card.voidedChips, []);
    }
    const depth = await admin().getQueueDepth({});
    assert.equal(depth.encoding, 0n);
    assert.equal(depth.queued, 0n);
  });

  it('cancuoc demo on Ctrl-C finishes the citizens in flight, sums up, exits 130, and a re-run continues', async () => {
    const idsFile = join(folder, 'demo-ids');
    const demoArgs = ['demo', '--citizens', '6', '--seed', '1', '--concurrency', '2', '--stations', '1'];
    const demo = spawnCancuoc([...demoArgs, '--ids', idsFile, ...flags], env);
    // Its progress, in plain lines since stderr is a pipe: Ctrl-C once the first card is issued.
    await demo.until('stderr', /^cards issued +1\/6 /m, 240_000);
    const signalled = Date.now();
    demo.child.kill('SIGINT');
    const run = await demo.exit;
    const stoppedInMs = Date.now() - signalled;
    assert.equal(run.code, 130, `${run.stdout}\n${run.stderr}`);
    assert.ok(stoppedInMs < 60_000, `stopped in ${stoppedInMs} ms`);
    assert.match(run.stderr, /^Stopping: finishing the citizens in flight, starting no other/m);
    assert.ok(!/[\r█]/.test(run.stderr) && !run.stderr.includes('\x1b'), 'plain lines: not a terminal');
    assert.doesNotMatch(run.stderr, /cancuoc demo:/, 'no failure');

    assert.match(run.stdout, /^Cancuoc demo — seed 1 — stopped by a signal/m);
    const [, done, notStarted] =
      /^ {2}citizens registered +(\d+) of 6; (\d+) not started, not registered$/m.exec(run.stdout) ??
      assert.fail(run.stdout);
    const registered = Number(done);
    assert.ok(registered >= 1 && Number(notStarted) >= 1, run.stdout);
    assert.equal(registered + Number(notStarted), 6);
    assert.doesNotMatch(run.stdout, /blocked at enrollment/);
    assert.match(run.stdout, new RegExp(`^ {2}applications +${registered} enrolled`, 'm'));
    assert.match(
      run.stdout,
      new RegExp(`^ {2}cards encoded +${registered} \\(${registered} encoded exactly once`, 'm'),
    );
    assert.match(
      run.stdout,
      new RegExp(`^ {2}agency deliveries +${registered} to ${DEMO_AGENCY.agency}`, 'm'),
    );
    assert.match(run.stdout, /^Next: cancuoc demo --seed 1 --citizens 6 continues/m);

    // What it reports is what the platform holds: the agency has each citizen with the card ...
    const citizenIds = (await readFile(idsFile, 'utf8')).trim().split('\n');
    assert.equal(citizenIds.length, registered);
    assertExactFields(
      await agencyView(connection, DEMO_AGENCY.agency, DEMO_AGENCY.purpose, citizenIds),
      DEMO_AGENCY.fields,
      citizenIds,
    );
    // ... and nothing is part of the way: no job waiting or held, each application closed.
    const depth = await admin().getQueueDepth({});
    assert.deepEqual([depth.personalising, depth.queued, depth.encoding], [0n, 0n, 0n]);
    const supervisor = connection.client(EnrollmentService, 'enrollment', identities.supervisor('e2e-cli'));
    await eventually(async () => {
      const { applications } = await supervisor.listApplications({
        stationId: 'demo-enrol-01',
        pageSize: 100,
      });
      return applications.length === registered &&
        applications.every((a) => a.stage === ApplicationStage.COMPLETED)
        ? applications
        : undefined;
    }, 'every application of the demo completed');

    // The same command again takes the citizens not started, and leaves out those registered.
    const again = await cancuoc([...demoArgs, ...flags], env);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    const rest = 6 - registered;
    assert.match(
      again.stdout,
      new RegExp(
        `^ {2}citizens registered +${rest} \\(${registered} were done by an earlier run: left out\\)$`,
        'm',
      ),
    );
    assert.doesNotMatch(again.stdout, /blocked at enrollment/);
    assert.match(
      again.stdout,
      new RegExp(`^ {2}cards encoded +${rest} \\(${rest} encoded exactly once`, 'm'),
    );
    assert.match(again.stdout, new RegExp(`^ {2}agency deliveries +${rest} to `, 'm'));
  });

  it('cancuoc demo stops at once on a second Ctrl-C', async () => {
    const demo = spawnCancuoc(
      ['demo', '--citizens', '4', '--seed', '4', '--concurrency', '2', '--stations', '1', ...flags],
      env,
    );
    await demo.until('stderr', /^registered +1\/4 /m, 120_000);
    demo.child.kill('SIGINT');
    await demo.until('stderr', /^Stopping: /m, 10_000);
    const second = Date.now();
    demo.child.kill('SIGINT');
    const run = await demo.exit;
    assert.equal(run.code, 130, run.stderr);
    assert.ok(Date.now() - second < 5_000, `exited ${Date.now() - second} ms after the second Ctrl-C`);
    assert.doesNotMatch(run.stdout, /Cancuoc demo/, 'no summary: it did not finish');
  });
});
