/**
 * The registry's OperationsService and the operator commands against it: a real gRPC client and
 * the `cancuoc` commands against the service on PostgreSQL and the Kafka-protocol test broker
 * (server mode), then on PGlite with its in-process transport (embedded mode).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { bearerFor, DevelopmentIssuer, developmentIssuerFile, identities } from '@cancuoc/auth';
import { closeClient, createClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { InProcessTransport, KafkaTransport, toKafkaRecord } from '@cancuoc/messaging';
import { createLogger } from '@cancuoc/observability';
import { captureRun, operatorCommands, REDRIVE_NEEDS_OPERATOR } from '@cancuoc/operations';
import {
  CARD_PRODUCTION_CARD_TOPIC,
  CardChangedSchema,
  CardStatus,
  operations,
  RegistryService,
  Sex,
} from '@cancuoc/proto';
import { catalogueTopics, createTestDatabase, startKafkaBroker, type KafkaBroker } from '@cancuoc/testing';
import { startRegistry, type RunningRegistry } from './app.js';
import type { RegistryConfig } from './config.js';
import { TODAY } from './test-support/registry-fixture.js';

const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };
const CITIZENS = 120;
const CARD_TOPIC = CARD_PRODUCTION_CARD_TOPIC.name;
/** The dead-lettering below fails on purpose: its warnings are expected. */
const QUIET = createLogger({ service: 'registry', level: 'error' });

const command = (name: string) => operatorCommands.find((c) => c.name === name)!;
/** The other services are not running here: addresses nothing listens on, whatever else runs on this machine. */
const ELSEWHERE = {
  CANCUOC_ENROLLMENT_ADDRESS: '127.0.0.1:1',
  CANCUOC_CARD_PRODUCTION_ADDRESS: '127.0.0.1:1',
  CANCUOC_DATA_SHARING_ADDRESS: '127.0.0.1:1',
};

function facts(day: number) {
  const birth = new Date(Date.UTC(1988, 0, 1 + day)).toISOString().slice(0, 10);
  return {
    name: { familyName: 'Trần', middleName: 'Văn', givenName: 'Minh' },
    birthDate: birth,
    sex: Sex.MALE,
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
    homeTown: CAI_KHE,
    permanentResidence: CAI_KHE,
  };
}

function cardChanged(citizenId: string, cardId: string) {
  return toKafkaRecord({
    topic: CARD_TOPIC,
    schema: CardChangedSchema,
    data: create(CardChangedSchema, {
      cardId,
      cardVersion: 1n,
      card: {
        cardId,
        citizenId,
        applicationId: '0192f0aa-0000-7000-8000-0000000000a1',
        documentNumber: '088000101',
        status: CardStatus.SHIPPED,
        issueDate: '2026-11-20',
        expiryDate: '2028-01-01',
        changedAt: '2026-11-26T03:00:00Z',
      },
    }),
    id: `${cardId.slice(0, -4)}e001`,
    source: '/cancuoc/card-production',
    time: new Date(),
    subject: cardId,
    traceparent: undefined,
    correlationId: undefined,
    causationId: undefined,
    sequence: 1,
  });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Clients {
  readonly registry: GrpcClient<typeof RegistryService>;
  readonly ops: GrpcClient<typeof operations.OperationsService>;
  close(): void;
}

/** A clerk of Cần Thơ (where the citizens live) on the registry, an administrator on operations. */
async function clients(address: string, issuer: DevelopmentIssuer): Promise<Clients> {
  const clerk = await bearerFor(issuer, identities.clerk('hn-001', '92'), 'registry');
  const admin = await bearerFor(issuer, identities.administrator('ops-1'), 'registry');
  const registry = createClient(RegistryService, address, {
    metadata: () => clerk,
    defaultTimeoutMs: 20_000,
  });
  const ops = createClient(operations.OperationsService, address, {
    metadata: () => admin,
    defaultTimeoutMs: 20_000,
  });
  return {
    registry,
    ops,
    close: () => {
      closeClient(registry);
      closeClient(ops);
    },
  };
}

async function register(client: GrpcClient<typeof RegistryService>, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, (_, k) =>
        client.registerExistingCitizen({
          facts: facts(start + k),
          personalId: `001088${String(100 + start + k).padStart(6, '0')}`,
        }),
      ),
    );
    ids.push(...batch.map((r) => r.registration!.citizenId));
  }
  return ids;
}

const registryProjection = async (ops: Clients['ops']) =>
  (await ops.listProjections({})).projections.find((p) => p.name === 'registry-citizens')!;

const depthOf = async (ops: Clients['ops']) =>
  (await ops.listDeadLetters({})).queues.find((q) => q.subscriber === 'registry.cards')?.depth;

describe('registry operations over gRPC and the CLI (PostgreSQL, Kafka-protocol broker)', () => {
  let broker: KafkaBroker;
  let dropDb: () => Promise<void>;
  let running: RunningRegistry;
  let c: Clients;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let citizenIds: string[];
  let issuer: DevelopmentIssuer;

  before(async () => {
    broker = await startKafkaBroker({ topics: catalogueTopics(), brokers: 1 });
    const db = await createTestDatabase('registry_ops');
    dropDb = db.drop;
    // The `cancuoc` commands find the issuer's key file in the folder they are given, and mint
    // their administrator's tokens with it, as on the embedded platform.
    dir = await mkdtemp(join(tmpdir(), 'cancuoc-ops-'));
    issuer = await DevelopmentIssuer.open(developmentIssuerFile(dir));
    running = await startRegistry(
      {
        databaseUrl: db.url,
        dataDir: undefined,
        redisUrl: undefined,
        kafkaBrokers: broker.bootstrapServers,
        kafkaIdempotent: false,
        kafkaSecurity: {},
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        auth: { mode: 'issuer', issuer },
        tls: undefined,
        staleAfterDays: 365,
      },
      { migrate: true, today: () => TODAY, logger: QUIET },
    );
    c = await clients(running.grpc.address, issuer);
    env = {
      ...ELSEWHERE,
      CANCUOC_REGISTRY_ADDRESS: running.grpc.address,
      CANCUOC_DATA_DIR: dir,
      CANCUOC_STAFF_ID: 'ops-1',
    };
    citizenIds = await register(c.registry, CITIZENS);
    await eventually(
      () => registryProjection(c.ops),
      (p) => p.position > 0n && p.lag === 0n,
      'the projection',
    );
  });
  after(async () => {
    c?.close();
    await running?.stop();
    await dropDb?.();
    await broker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a caller without the role admin', async () => {
    const clerk = await bearerFor(issuer, identities.clerk('hn-001', '92', { national: true }), 'registry');
    const client = createClient(operations.OperationsService, running.grpc.address, {
      metadata: () => clerk,
    });
    try {
      await assert.rejects(
        client.listProjections({}),
        (e) => readErrorDetails(e)?.code === status.PERMISSION_DENIED,
      );
    } finally {
      closeClient(client);
    }
  });

  it('answers ListUnfinishedWork with an empty list: the register leaves nothing part-way', async () => {
    const none = await c.ops.listUnfinishedWork({ olderThanSeconds: 0 });
    assert.deepEqual(none.items, []);
    assert.equal(none.nextPageToken, '');
    assert.equal(none.olderThanSeconds, 0);
    assert.equal((await c.ops.listUnfinishedWork({})).olderThanSeconds, 600);
  });

  it('--help prints the usage and exits 0; an unknown flag or subcommand exits 2 with one line', async () => {
    for (const cmd of operatorCommands) {
      const help = await captureRun(cmd, ['--help'], env);
      assert.equal(help.code, 0, cmd.name);
      assert.equal(help.stdout, cmd.usage);
      const bad = await captureRun(cmd, ['--no-such-flag'], env);
      assert.equal(bad.code, 2, cmd.name);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, /no-such-flag/);
    }
    const sub = await captureRun(command('audit'), ['check'], env);
    assert.equal(sub.code, 2);
    const service = await captureRun(command('audit'), ['verify', '--service', 'nope'], env);
    assert.equal(service.code, 2);
  });

  it('names the address of a service it cannot reach, exit 1', async () => {
    const r = await captureRun(
      command('audit'),
      ['verify', '--service', 'registry', '--registry', '127.0.0.1:1'],
      env,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /registry is unreachable at 127\.0\.0\.1:1/);
    const noIssuer = await captureRun(
      command('rebuild'),
      ['--list', '--data-dir', join(dir, 'missing')],
      env,
    );
    assert.equal(noIssuer.code, 1);
    assert.match(noIssuer.stderr, /no development issuer at/);
  });

  it('lists its projection: position is the global position applied, lag what is not yet', async () => {
    const p = await registryProjection(c.ops);
    assert.equal(p.lag, 0n);
    assert.equal(p.rebuilding, false);
    // The log's head is the highest position in it. Not always the caught-up projection's position:
    // the log is read in commit order (transaction id, then position), and concurrent appends can
    // commit a higher position before a lower one.
    const { logHeadPosition } = await c.ops.listProjections({});
    const [last] = await running.db.query<{ head: string }>(
      'SELECT max(global_position)::text AS head FROM es_events',
    );
    assert.equal(logHeadPosition, BigInt(last!.head));
    assert.ok(logHeadPosition >= p.position);
    const r = await captureRun(
      command('rebuild'),
      ['--list', '--service', 'registry', '--data-dir', dir],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^SERVICE +PROJECTION +POSITION +LAG/);
    assert.match(r.stdout, new RegExp(`registry +registry-citizens +${p.position} +0 `));
  });

  it('rebuilds the citizen projection live: reads answer during the replay, damaged and deleted rows come back', async () => {
    const original = await running.db.query<{ citizen_id: string; record: unknown; name_key: string }>(
      'SELECT citizen_id, record, name_key FROM reg_citizens ORDER BY citizen_id',
    );
    assert.equal(original.length, CITIZENS);
    const deleted = citizenIds.slice(0, 30);
    const damaged = citizenIds[50]!;
    await running.db.transaction(async (tx) => {
      await tx.query('DELETE FROM reg_quality_flags WHERE citizen_id = ANY ($1::uuid[])', [deleted]);
      await tx.query('DELETE FROM reg_citizens WHERE citizen_id = ANY ($1::uuid[])', [deleted]);
      await tx.query(
        `UPDATE reg_citizens SET record = jsonb_set(record, '{name,givenName}', '"Hỏng"'), name_key = 'hong'
         WHERE citizen_id = $1`,
        [damaged],
      );
    });
    // Writers of reg_citizens wait behind this lock (readers do not): the replay's first batch is
    // held mid-way, so what reads see during a rebuild can be looked at.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = running.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE reg_citizens IN SHARE MODE');
      locked();
      await released;
    });
    try {
      await isLocked;
      const started = await captureRun(command('rebuild'), ['registry-citizens'], env);
      assert.equal(started.code, 0, started.stderr);
      assert.match(
        started.stdout,
        /registry: rebuilding registry-citizens from the first event; done at position \d+/,
      );
      const during = await registryProjection(c.ops);
      assert.equal(during.rebuilding, true);
      assert.equal(during.position, 0n);
      assert.ok(during.lag >= BigInt(CITIZENS));
      assert.ok(during.rebuildTargetPosition > 0n);
      const page = await c.registry.searchCitizens({
        criteria: { case: 'byCommune', value: { communeCode: '31120' } },
        pageSize: 500,
        purpose: 'test',
      });
      assert.equal(page.citizens.length, CITIZENS - deleted.length, 'reads answer from the rows as they are');
      const one = await c.registry.getCitizen({ personalId: '001088000200', purpose: 'test' });
      assert.equal(one.citizenId, citizenIds[100]);
    } finally {
      release();
      await holder;
    }
    const done = await eventually(
      () => registryProjection(c.ops),
      (p) => !p.rebuilding,
      'the rebuild',
    );
    assert.ok(done.position >= done.rebuildTargetPosition);
    const rebuilt = await running.db.query<{ citizen_id: string; record: unknown; name_key: string }>(
      'SELECT citizen_id, record, name_key FROM reg_citizens ORDER BY citizen_id',
    );
    assert.deepEqual(rebuilt, original, 'every row as the events say, the damaged one repaired');
    const waited = await captureRun(command('rebuild'), ['registry-citizens', '--wait'], env);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /registry-citizens rebuilt, at position \d+, lag 0/);
  });

  it('refuses an unknown projection: NOT_FOUND over gRPC, exit 1 from the CLI', async () => {
    await assert.rejects(
      c.ops.rebuildProjection({ name: 'nope' }),
      (e) => readErrorDetails(e)?.code === status.NOT_FOUND,
    );
    await assert.rejects(
      c.ops.rebuildProjection({ name: '' }),
      (e) => readErrorDetails(e)?.code === status.INVALID_ARGUMENT,
    );
    const r = await captureRun(command('rebuild'), ['nope', '--service', 'registry'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOT_FOUND/);
  });

  it('on Kafka: lists a dead letter, refuses to redrive it itself, and the operator redrives it over Kafka', async () => {
    assert.equal(await depthOf(c.ops), 0n);
    const producer = new KafkaTransport({
      brokers: broker.bootstrapServers,
      clientId: 'ops-test',
      idempotent: false,
    });
    const cardId = '0192f0aa-0000-7000-8000-00000000c001';
    // The cause: the consumer's table is gone, so the event fails every attempt and is dead-lettered.
    await running.db.query('ALTER TABLE reg_cards RENAME TO reg_cards_away');
    try {
      await producer.publish([cardChanged(citizenIds[0]!, cardId)]);
      await eventually(
        () => depthOf(c.ops),
        (d) => d === 1n,
        'the dead letter',
      );
    } finally {
      await running.db.query('ALTER TABLE reg_cards_away RENAME TO reg_cards');
      await producer.close();
    }
    const listed = await captureRun(command('redrive'), ['--list', '--service', 'registry'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`registry +${CARD_TOPIC.replaceAll('.', '\\.')} +registry\\.cards +1`),
    );
    await assert.rejects(
      c.ops.redriveDeadLetters({ topic: CARD_TOPIC, subscriber: 'registry.cards' }),
      (e) => {
        const d = readErrorDetails(e);
        return (
          d?.code === status.FAILED_PRECONDITION &&
          d.preconditionFailure?.violations[0]?.type === REDRIVE_NEEDS_OPERATOR
        );
      },
    );
    const viaService = await captureRun(
      command('redrive'),
      [CARD_TOPIC, '--subscriber', 'registry.cards'],
      env,
    );
    assert.equal(viaService.code, 1);
    assert.match(viaService.stderr, /FAILED_PRECONDITION: registry runs on Kafka/);
    const r = await captureRun(command('redrive'), [CARD_TOPIC, '--subscriber', 'registry.cards'], {
      ...env,
      KAFKA_BROKERS: broker.bootstrapServers.join(','),
      KAFKA_IDEMPOTENT: 'false',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 redriven, 0 of other subscribers left \(over Kafka\)/);
    await eventually(
      () => running.db.query('SELECT 1 FROM reg_cards WHERE card_id = $1', [cardId]),
      (rows) => rows.length === 1,
      'the redriven card',
    );
    assert.equal(await depthOf(c.ops), 0n);
    const wrong = await captureRun(command('redrive'), [`${CARD_TOPIC}.dlq`], env);
    assert.equal(wrong.code, 2);
  });

  it('verifies the audit chain (exit 0), and reports where it was tampered with (exit 1)', async () => {
    const verified = await eventually(
      () => c.ops.verifyAuditLog({}),
      (v) => v.entriesChecked > 1n,
      'sealed entries',
    );
    assert.equal(verified.intact, true);
    assert.equal(verified.chain, 'registry');
    const ok = await captureRun(command('audit'), ['verify', '--service', 'registry'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^registry: intact, \d+ entries checked, head \d+ [0-9a-f]{16}…/);
    await running.db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      await tx.query(`UPDATE audit_entries SET purpose = 'tampered' WHERE chain = 'registry' AND seq = 2`);
      await tx.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    });
    const broken = await c.ops.verifyAuditLog({});
    assert.equal(broken.intact, false);
    assert.equal(broken.problem?.seq, 2n);
    assert.equal(broken.problem?.kind, operations.AuditProblemKind.HASH_MISMATCH);
    assert.equal(broken.entriesChecked, 1n);
    const r = await captureRun(command('audit'), ['verify', '--service', 'registry'], env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^registry: BROKEN at entry 2 \(HASH_MISMATCH\)/);
  });
});

describe('registry operations, embedded (PGlite, the in-process transport)', () => {
  it('redrives a dead letter over the in-process transport when the CLI asks the service, and rebuilds on PGlite', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cancuoc-ops-embedded-'));
    const config: RegistryConfig = {
      databaseUrl: undefined,
      dataDir: join(root, 'registry'),
      redisUrl: undefined,
      kafkaBrokers: undefined,
      kafkaIdempotent: false,
      kafkaSecurity: {},
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      auth: { mode: 'embedded', issuerFile: developmentIssuerFile(root) },
      tls: undefined,
      staleAfterDays: 365,
    };
    const running = await startRegistry(config, { today: () => TODAY, logger: QUIET });
    // The registry's own in-process log (in its PGlite database), as card production would write to
    // it in the all-in-one process.
    const producer = new InProcessTransport({ db: running.db });
    // The registry made the issuer's key file in the platform's folder; the commands find it there.
    const c = await clients(running.grpc.address, await DevelopmentIssuer.open(developmentIssuerFile(root)));
    const env = { ...ELSEWHERE, CANCUOC_REGISTRY_ADDRESS: running.grpc.address, CANCUOC_DATA_DIR: root };
    try {
      const [citizenId] = await register(c.registry, 1);
      const cardId = '0192f0aa-0000-7000-8000-00000000c002';
      await running.db.query('ALTER TABLE reg_cards RENAME TO reg_cards_away');
      try {
        await producer.publish([cardChanged(citizenId!, cardId)]);
        await eventually(
          () => depthOf(c.ops),
          (d) => d === 1n,
          'the dead letter',
        );
      } finally {
        await running.db.query('ALTER TABLE reg_cards_away RENAME TO reg_cards');
      }
      assert.equal((await c.ops.listDeadLetters({})).redriveServed, true);
      const r = await captureRun(command('redrive'), [CARD_TOPIC, '--subscriber', 'registry.cards'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`${CARD_TOPIC.replaceAll('.', '\\.')} \\(registry\\.cards\\): 1 redriven`),
      );
      await eventually(
        () => running.db.query('SELECT 1 FROM reg_cards WHERE card_id = $1', [cardId]),
        (rows) => rows.length === 1,
        'the redriven card',
      );
      assert.equal(await depthOf(c.ops), 0n);
      const audit = await captureRun(command('audit'), ['verify', '--service', 'registry'], env);
      assert.equal(audit.code, 0, audit.stderr);
      await running.db.query('DELETE FROM reg_quality_flags');
      await running.db.query('DELETE FROM reg_citizens');
      const rebuilt = await captureRun(command('rebuild'), ['registry-citizens', '--wait'], env);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      const [row] = await running.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reg_citizens');
      assert.equal(row!.n, 1, 'rebuilt on PGlite too');
    } finally {
      c.close();
      await running.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
