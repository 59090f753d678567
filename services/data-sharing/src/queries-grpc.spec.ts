/**
 * AgencyQueryService, DataProtectionService and OperationsService through a real gRPC client, on
 * PostgreSQL and Redis with the in-process transport: reads within the subscription, reads at a
 * position, verification that says yes or no and cannot be used to guess, rate limits, every access
 * in the hash-chained audit log, the citizen's report of who received what, and tampering caught.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { identities } from '@cancuoc/auth';
import { readErrorDetails, status } from '@cancuoc/grpc';
import { datasharing, operations, partner } from '@cancuoc/proto';
import pg from 'pg';
import { DELIVERY, F, startHarness, type AgencyClient, type Harness } from './test-support/harness.js';
import { eventually } from './test-support/partner-reader.js';
import { citizenInit } from './test-support/upstream.js';

const byId = (value: string) => ({ key: { case: 'citizenId' as const, value } });
const byNumber = (value: string) => ({ key: { case: 'personalId' as const, value } });
const reason = (e: unknown) => readErrorDetails(e)?.errorInfo?.reason;
const code = (e: unknown) => readErrorDetails(e)?.code;

describe('agency queries, audit and the right to know (PostgreSQL, Redis, in-process transport)', () => {
  let h: Harness;
  let bhxh: AgencyClient;
  const an = randomUUID();
  const binh = randomUUID();
  const outside = randomUUID();
  before(async () => {
    h = await startHarness({ agencies: [], kafka: false, config: { verificationsPerCitizenPerDay: 4 } });
    await h.upstream.publish(
      h.upstream.citizenRecord(
        an,
        citizenInit({
          personalId: '001190000501',
          familyName: 'Trần',
          middleName: 'Thị',
          givenName: 'Ánh',
          birthDate: '1985-03-02',
        }),
      ),
      h.upstream.citizenRecord(binh, citizenInit({ personalId: '001190000502', givenName: 'Bình' })),
      h.upstream.citizenRecord(
        outside,
        citizenInit({
          personalId: '079190000503',
          permanentResidence: { provinceCode: '079', communeCode: '26734', detail: '' },
        }),
      ),
      h.upstream.card(an, { cardId: 'an-card', version: 3, documentNumber: '001085501' }),
    );
    for (const id of [an, binh, outside]) await h.projected(id, 1);
    await h.subscribe({
      agency: 'bhxh',
      agencyName: 'Bảo hiểm xã hội Việt Nam',
      purpose: 'social-insurance',
      purposeDescription: 'enrolment of insured persons',
      legalBasis: 'Luật Bảo hiểm xã hội 2024',
      terms: {
        fields: [F.PERSONAL_ID, F.NAME, F.BIRTH_DATE, F.CARD],
        scope: { provinceCodes: ['001'] },
        delivery: DELIVERY.KAFKA_AND_GRPC,
      },
    });
    bhxh = await h.agency('bhxh');
  });
  after(() => h?.close());

  it('reads a citizen by record id or personal id number, allowed fields only, with the position it reflects', async () => {
    const one = await bhxh.getCitizen({ purpose: 'social-insurance', citizen: byNumber('001190000501') });
    assert.equal(one.citizen?.citizenId, an);
    assert.equal(one.citizen?.name?.givenName, 'Ánh');
    assert.equal(one.citizen?.card?.current?.documentNumber, '001085501');
    assert.equal(one.citizen?.ethnicity, undefined);
    assert.equal(one.citizen?.permanentResidence, undefined);
    assert.equal(one.position, (await h.running.operations.status()).position);
    await assert.rejects(
      bhxh.getCitizen({ purpose: 'social-insurance', citizen: byId(outside) }),
      (e) => code(e) === status.NOT_FOUND,
    );
    await assert.rejects(
      bhxh.getCitizen({ purpose: 'social-insurance', citizen: byId(randomUUID()) }),
      (e) => {
        const d = readErrorDetails(e);
        return (
          d?.code === status.NOT_FOUND && d.message === 'no such citizen in the scope of this subscription'
        );
      },
    );
    await assert.rejects(
      bhxh.getCitizen({ purpose: 'tax-collection', citizen: byId(an) }),
      (e) => reason(e) === 'PURPOSE_MISMATCH',
    );
    await assert.rejects(
      bhxh.getCitizen({ purpose: 'social-insurance', citizen: byNumber('12') }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
  });

  it('reads a batch in order in one snapshot, absent where nobody is visible', async () => {
    const reply = await bhxh.batchGetCitizens({
      purpose: 'social-insurance',
      citizens: [byId(binh), byId(outside), byNumber('001190000501'), byId(randomUUID())],
    });
    assert.deepEqual(
      reply.results.map((r) => r.citizen?.citizenId),
      [binh, undefined, an, undefined],
    );
    await assert.rejects(
      bhxh.batchGetCitizens({
        purpose: 'social-insurance',
        citizens: Array.from({ length: 101 }, () => byId(an)),
      }),
      (e) => readErrorDetails(e)?.badRequest?.fieldViolations[0]?.field === 'citizens',
    );
  });

  it('verifies an identity: yes or no, the same no for every reason, only on allowed fields', async () => {
    const verify = (personalId: string, claimed: Record<string, unknown>) =>
      bhxh.verifyIdentity({ purpose: 'social-insurance', personalId, claimed }).then((r) => r.match);
    assert.equal(
      await verify('001190000501', {
        fullName: 'Trần Thị Ánh',
        birthDate: '1985-03-02',
        cardDocumentNumber: '001085501',
      }),
      true,
    );
    assert.equal(await verify('001190000501', { birthDate: '1985-03-03' }), false);
    assert.equal(
      await verify('079190000503', { birthDate: '1990-05-17' }),
      false,
      'outside the scope: no, like any other no',
    );
    assert.equal(await verify('001199999999', { birthDate: '1990-05-17' }), false, 'no such number');
    await assert.rejects(verify('001190000502', { nationality: 'VNM' }), (e) => {
      const d = readErrorDetails(e);
      return d?.errorInfo?.reason === 'FIELD_NOT_ALLOWED' && d.errorInfo.metadata['fields'] === 'nationality';
    });
    await assert.rejects(verify('001190000502', {}), (e) => code(e) === status.INVALID_ARGUMENT);
  });

  it('stops guessing: a number can be verified only a few times a day by one agency, whether or not it exists', async () => {
    for (let attempt = 0; attempt < 4; attempt++)
      await bhxh.verifyIdentity({
        purpose: 'social-insurance',
        personalId: '001199999998',
        claimed: { birthDate: `1990-01-0${attempt + 1}` },
      });
    await assert.rejects(
      bhxh.verifyIdentity({
        purpose: 'social-insurance',
        personalId: '001199999998',
        claimed: { birthDate: '1990-05-17' },
      }),
      (e) => {
        const d = readErrorDetails(e);
        return (
          d?.code === status.RESOURCE_EXHAUSTED &&
          d.errorInfo?.reason === 'RATE_LIMITED' &&
          (d.retryInfo?.retryDelay?.seconds ?? 0n) > 0n
        );
      },
    );
    const keys = await h.redis.client.keys('*');
    assert.ok(
      keys.length > 0 && !keys.some((k) => k.includes('001199999998')),
      'counters are keyed by a hash, not the number',
    );
  });

  it('reads at a position: waits for it, gives up with UNAVAILABLE, refuses one ahead of the log', async () => {
    const { position } = await bhxh.getCitizen({ purpose: 'social-insurance', citizen: byId(an) });
    await assert.rejects(
      bhxh.getCitizen({
        purpose: 'social-insurance',
        citizen: byId(an),
        consistency: { minPosition: position + 1_000n },
      }),
      (e) => reason(e) === 'POSITION_AHEAD_OF_LOG' && code(e) === status.FAILED_PRECONDITION,
    );
    // Hold the projection back (its lock), change the record, and ask to read the change.
    const blocker = new pg.Client({ connectionString: h.databaseUrl });
    await blocker.connect();
    await blocker.query('SELECT pg_advisory_lock($1, $2)', [0x4453, 1]);
    try {
      await h.upstream.publish(
        h.upstream.citizenRecord(an, citizenInit({ personalId: '001190000501', givenName: 'Ánh Mới' })),
      );
      await eventually('the change recorded', async () => {
        const [row] = await h.running.db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM es_events WHERE stream_id = $1`,
          [`citizen-${an}`],
        );
        return Number(row!.n) >= 3;
      });
      const started = Date.now();
      await assert.rejects(
        bhxh.getCitizen(
          { purpose: 'social-insurance', citizen: byId(an), consistency: { minPosition: position + 1n } },
          { timeoutMs: 1_500 },
        ),
        (e) => code(e) === status.UNAVAILABLE && reason(e) === 'POSITION_NOT_REACHED',
      );
      assert.ok(Date.now() - started >= 1_000, 'it waited');
      const late = bhxh.getCitizen({
        purpose: 'social-insurance',
        citizen: byId(an),
        consistency: { minPosition: position + 1n },
      });
      await new Promise((r) => setTimeout(r, 300));
      await blocker.query('SELECT pg_advisory_unlock($1, $2)', [0x4453, 1]);
      const reply = await late;
      assert.ok(reply.position >= position + 1n);
      assert.equal(reply.citizen?.name?.givenName, 'Ánh Mới', 'the read reflects the position asked for');
    } finally {
      await blocker.end();
    }
  });

  it('audits every access and delivery, and tells a citizen which agency received which fields, when and how', async () => {
    await h.settled();
    const reports = await h.client(datasharing.DataProtectionService, identities.administrator('chi'));
    const { disclosures } = await reports.getDisclosures({ citizen: byNumber('001190000501') });
    const channels = new Set(disclosures.map((d) => d.channel));
    assert.ok(channels.has(datasharing.DisclosureChannel.KAFKA), 'delivered to the agency’s topics');
    assert.ok(channels.has(datasharing.DisclosureChannel.QUERY));
    assert.ok(channels.has(datasharing.DisclosureChannel.VERIFICATION));
    for (const d of disclosures) {
      assert.equal(d.agency, 'bhxh');
      assert.equal(d.purpose, 'social-insurance');
      assert.ok(d.at !== '');
    }
    const query = disclosures.find((d) => d.channel === datasharing.DisclosureChannel.QUERY)!;
    assert.deepEqual(query.fields, [F.PERSONAL_ID, F.NAME, F.BIRTH_DATE, F.CARD]);
    const verification = disclosures.find((d) => d.channel === datasharing.DisclosureChannel.VERIFICATION)!;
    assert.deepEqual(verification.fields, [F.PERSONAL_ID, F.NAME, F.BIRTH_DATE, F.CARD]);
    const outsider = await reports.getDisclosures({ citizen: byId(outside) });
    assert.deepEqual(
      outsider.disclosures.map((d) => d.channel),
      [datasharing.DisclosureChannel.VERIFICATION],
      'outside the scope: nothing received, but the attempt to verify them is on their record',
    );
    const entries = await h.running.audit.forSubject(an);
    assert.ok(
      entries.some((e) => e.action === 'disclosure.report' && e.actor === 'admin:chi'),
      'the report is itself recorded',
    );
  });

  it('verifies the audit chain, and finds the entry an administrator edited behind its back', async () => {
    const reports = await h.client(datasharing.DataProtectionService, identities.administrator('chi'));
    const intact = await reports.verifyAuditLog({});
    assert.equal(intact.intact, true);
    assert.ok(intact.entriesChecked > 5n);
    const admin = new pg.Client({ connectionString: h.databaseUrl });
    await admin.connect();
    try {
      await admin.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
      await admin.query(`UPDATE audit_entries SET fields = '{name}' WHERE seq = 3`);
      await admin.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
    } finally {
      await admin.end();
    }
    const broken = await reports.verifyAuditLog({});
    assert.equal(broken.intact, false);
    assert.equal(broken.firstBrokenEntry, 3n);
    assert.equal(broken.problem, 'HASH_MISMATCH');
  });

  it('reports the projection’s state to operators', async () => {
    const ops = await h.client(datasharing.OperationsService, identities.administrator('chi'));
    const s = await ops.getProjectionStatus({});
    assert.equal(s.citizens, 3n);
    assert.equal(s.rebuilding, false);
    await assert.rejects(ops.rebuildProjections({}), (e) => code(e) === status.INVALID_ARGUMENT);
    assert.equal(
      (await ops.rebuildProjections({ scope: datasharing.RebuildScope.VIEWS })).backfillsStarted,
      1,
    );
    assert.equal(partner.CitizenField.CARD, F.CARD);
  });

  it('serves the shared OperationsService: projections rebuilt, the chain checked, dead letters listed', async () => {
    // The operators' CLI over these RPCs is libs/operations' (and its tests).
    const ops = await h.client(operations.OperationsService, identities.administrator('chi'));
    const listed = await ops.listProjections({});
    assert.deepEqual(
      listed.projections.map((p) => p.name),
      ['data-sharing-citizens', 'data-sharing-views'],
    );
    const before = await h.running.db.query<{ citizen_id: string; state: string }>(
      'SELECT citizen_id::text AS citizen_id, state::text AS state FROM ds_citizens ORDER BY 1',
    );
    await h.running.db.query('DELETE FROM ds_citizens WHERE citizen_id = $1', [binh]);
    await h.running.db.query(
      `UPDATE ds_citizens SET state = jsonb_set(state, '{recordVersion}', '99') WHERE citizen_id = $1`,
      [outside],
    );
    // Writers of ds_citizens wait behind this lock, readers do not: the replay is held mid-way.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = h.running.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE ds_citizens IN SHARE MODE');
      locked();
      await released;
    });
    try {
      await isLocked;
      const started = await ops.rebuildProjection({ name: 'data-sharing-citizens' });
      assert.equal(started.projection?.name, 'data-sharing-citizens');
      assert.equal((await ops.listProjections({})).projections[0]!.rebuilding, true);
      const during = await bhxh.getCitizen({ purpose: 'social-insurance', citizen: byId(an) });
      assert.equal(during.citizen?.citizenId, an, 'agency reads answer from the rows as they are');
    } finally {
      release();
      await holder;
    }
    await eventually('the rebuild', async () => !(await ops.listProjections({})).projections[0]!.rebuilding);
    const rebuilt = (await ops.listProjections({})).projections[0]!;
    assert.equal(rebuilt.name, 'data-sharing-citizens');
    assert.equal(rebuilt.rebuilding, false);
    await h.settled();
    assert.deepEqual(
      await h.running.db.query(
        'SELECT citizen_id::text AS citizen_id, state::text AS state FROM ds_citizens ORDER BY 1',
      ),
      before,
      'the deleted row back, the damaged one repaired',
    );
    const views = await ops.rebuildProjection({ name: 'data-sharing-views' });
    assert.equal(views.projection?.name, 'data-sharing-views');
    await h.settled();
    // The earlier test altered entry 3: the shared RPC sees the same break as DataProtectionService.
    const audit = await ops.verifyAuditLog({});
    assert.equal(audit.chain, 'data-sharing');
    assert.equal(audit.intact, false);
    assert.equal(audit.problem?.seq, 3n);
    assert.equal(audit.problem?.kind, operations.AuditProblemKind.HASH_MISMATCH);
    const dead = await ops.listDeadLetters({});
    assert.equal(dead.redriveServed, true, 'the in-process transport: the service redrives');
    assert.ok(dead.queues.length >= 2);
    for (const q of dead.queues) {
      assert.equal(q.subscriber, 'data-sharing.citizens');
      assert.equal(q.depth, 0n);
    }
    const redriven = await ops.redriveDeadLetters({ topic: dead.queues[0]!.topic });
    assert.equal(redriven.redriven, 0n);
    await assert.rejects(
      ops.redriveDeadLetters({ topic: 'internal.nobody.nothing.v1' }),
      (e) => code(e) === status.INVALID_ARGUMENT,
    );
  });
});
