import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditLog } from '@cancuoc/audit';
import type { EventStore } from '@cancuoc/eventstore';
import { DomainValidationError, parsePersonalId } from '@cancuoc/identity';
import { InvalidCitizenCommandError } from '../domain/citizen/errors.js';
import {
  CAI_KHE,
  CLERK,
  facts,
  openRegistry,
  type RegistryFixture,
  WRITER,
} from '../test-support/registry-fixture.js';
import { citizenProjection } from './citizen-projection.js';
import {
  IdempotencyKeyReusedError,
  PersonalIdExhaustedError,
  PersonalIdInUseError,
  StaleVersionError,
} from './errors.js';
import { Registry } from './registry.js';
import { TODAY } from '../test-support/registry-fixture.js';

const clerk = WRITER;

describe('registry use cases (PostgreSQL, Redis)', () => {
  let f: RegistryFixture;
  before(async () => (f = await openRegistry()));
  after(() => f?.close());

  it('allocates a valid number for a birth, agreeing with birth date, sex and province', async () => {
    const reg = await f.registry.registerBirth(
      facts({
        birthDate: '2026-11-20',
        sex: 'male',
        name: { familyName: 'Lê', givenName: 'Minh' },
        birthPlace: CAI_KHE,
      }),
      clerk,
    );
    const id = parsePersonalId(reg.personalId);
    assert.equal(id.birthPlaceCode, '092');
    assert.equal(id.sex, 'male');
    assert.equal(id.birthYear, 2026);
    const view = await f.registry.getCitizen(reg.personalId, CLERK);
    assert.equal(view.record.name.givenName, 'Minh');
  });

  it('keeps numbers unique under concurrency, even when the random part collides', async () => {
    let n = 0;
    const tight = await openRegistry({ random: () => n++ % 40 });
    try {
      const births = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          tight.registry.registerBirth(
            facts({
              birthDate: '2026-01-02',
              birthPlace: CAI_KHE,
              name: { familyName: 'Trần', givenName: `Bé ${'a'.repeat(i + 1)}` },
            }),
            clerk,
          ),
        ),
      );
      const numbers = births.flatMap((b) => (b.status === 'fulfilled' ? [b.value.personalId] : []));
      assert.equal(numbers.length, 30, births.find((b) => b.status === 'rejected')?.reason);
      assert.equal(new Set(numbers).size, 30);
      const stuck = await openRegistry({ random: () => 7 });
      try {
        await stuck.registry.registerBirth(facts({ birthDate: '2026-01-02', birthPlace: CAI_KHE }), clerk);
        await assert.rejects(
          stuck.registry.registerBirth(facts({ birthDate: '2026-01-02', birthPlace: CAI_KHE }), clerk),
          PersonalIdExhaustedError,
        );
      } finally {
        await stuck.close();
      }
    } finally {
      await tight.close();
    }
  });

  it('refuses an imported number already held, and one that contradicts the record', async () => {
    await f.registry.registerExisting(facts(), '001190000001', clerk);
    await assert.rejects(f.registry.registerExisting(facts(), '001190000001', clerk), PersonalIdInUseError);
    await assert.rejects(
      f.registry.registerExisting(facts(), '001090000002', clerk),
      InvalidCitizenCommandError,
    );
  });

  it('reads its own writes through the cache, and works with Redis down', async () => {
    const { personalId } = await f.registry.registerExisting(facts(), '001190000010', clerk);
    const first = await f.registry.getCitizen(personalId, CLERK);
    assert.equal(first.version, 2);
    const cached = await f.registry.getCitizen(personalId, CLERK);
    assert.deepEqual(cached.record, first.record);
    await f.registry.execute(
      { personalId },
      {
        type: 'ChangeName',
        name: { familyName: 'Nguyễn', middleName: 'Thị', givenName: 'Hoa' },
        reason: 'court order',
      },
      clerk,
    );
    const changed = await f.registry.getCitizen(personalId, CLERK);
    assert.equal(changed.record.name.givenName, 'Hoa');
    assert.equal(changed.version, 3);

    const failuresBefore = f.cache.failures;
    f.redis.client.disconnect();
    try {
      await f.registry.execute(
        { personalId },
        { type: 'RecordDeath', dateOfDeath: '2026-11-01', certificateRef: 'KT-9' },
        clerk,
      );
      const dead = await f.registry.getCitizen(personalId, CLERK);
      assert.equal(dead.deceased, true);
      assert.ok(f.cache.failures > failuresBefore);
    } finally {
      await f.redis.client.connect();
    }
  });

  it('gives a retried command its first result and one effect, also when the retries race', async () => {
    const { personalId } = await f.registry.registerExisting(facts(), '001190000020', clerk);
    const command = {
      type: 'RegisterTemporaryResidence',
      address: { provinceCode: '001', communeCode: '00004', detail: '1 Điện Biên Phủ' },
      from: '2026-10-01',
      until: null,
    } as const;
    const ctx = { ...clerk, idempotencyKey: 'req-tmp-1' };
    const results = await Promise.all([1, 2, 3].map(() => f.registry.execute({ personalId }, command, ctx)));
    assert.ok(results.every((r) => r.recordVersion === results[0]!.recordVersion));
    const history = await f.registry.history(personalId, CLERK);
    assert.equal(history.filter((h) => h.change === 'TemporaryResidenceRegistered').length, 1);
    await assert.rejects(
      f.registry.execute({ personalId }, { ...command, from: '2026-10-02' }, ctx),
      IdempotencyKeyReusedError,
    );
  });

  it('reports a lost race as a stale version when the caller named one', async () => {
    const { personalId, recordVersion } = await f.registry.registerExisting(facts(), '001190000030', clerk);
    await f.registry.execute(
      { personalId },
      { type: 'RecordVerification', verifiedBy: 'officer-1', outcome: 'confirmed', note: '' },
      clerk,
    );
    await assert.rejects(
      f.registry.execute(
        { personalId, expectedVersion: recordVersion },
        { type: 'RecordVerification', verifiedBy: 'officer-2', outcome: 'confirmed', note: '' },
        clerk,
      ),
      StaleVersionError,
    );
  });

  it('projects for search, resolves merged units, flags duplicates, and reports quality', async () => {
    const twin = facts({
      name: { familyName: 'Phạm', middleName: 'Văn', givenName: 'Bình' },
      birthDate: '1985-03-03',
      sex: 'male',
    });
    const a = await f.registry.registerExisting(twin, '001085000101', clerk);
    const b = await f.registry.registerExisting(
      { ...twin, permanentResidence: undefined },
      '001085000102',
      clerk,
    );
    // Recorded in 2020 in a Bình Dương ward that became part of Hồ Chí Minh City's Thủ Dầu Một in 2025.
    await f.registry.execute(
      { personalId: b.personalId },
      {
        type: 'RegisterPermanentResidence',
        address: { provinceCode: '074', communeCode: '25753', detail: '9 Yersin' },
        since: '2020-06-01',
      },
      clerk,
    );
    const projection = citizenProjection(f.store, () => TODAY);
    await projection.ensureCreated();
    // An empty batch is not the end: any transaction open on the server holds the ordered read back.
    const caughtUp = async () => {
      const [row] = await f.db.query<{ behind: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM es_events e, es_subscriptions s
                        WHERE s.subscription_id = $1
                          AND (e.transaction_id, e.global_position) > (s.transaction_id, s.global_position)) AS behind`,
        [projection.name],
      );
      return !row!.behind;
    };
    const deadline = Date.now() + 30_000;
    while (!(await caughtUp())) {
      assert.ok(Date.now() < deadline, 'the projection did not catch up');
      const outcome = await projection.runOnce();
      if (outcome === 'busy' || outcome.read === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const byName = await f.registry.search(
      { kind: 'name', fullName: 'pham van binh', birthDate: '1985-03-03' },
      10,
      '',
      CLERK,
    );
    assert.deepEqual(byName.citizens.map((c) => c.personalId).sort(), [a.personalId, b.personalId]);
    const inThuDauMot = await f.registry.search({ kind: 'commune', communeCode: '25747' }, 10, '', CLERK);
    assert.deepEqual(
      inThuDauMot.citizens.map((c) => c.personalId),
      [b.personalId],
    );
    const history = await f.registry.history(b.personalId, CLERK);
    assert.equal(
      (history.at(-1)!.details as { address: { communeCode: string } }).address.communeCode,
      '25753',
      'history is not rewritten',
    );

    const viewA = await f.registry.getCitizen(a.personalId, CLERK);
    assert.ok(viewA.openQualityFlags.some((q) => q.kind === 'PROBABLE_DUPLICATE'));
    const viewB = await f.registry.getCitizen(b.personalId, CLERK);
    assert.ok(viewB.openQualityFlags.some((q) => q.kind === 'PROBABLE_DUPLICATE'));

    const report = await f.registry.qualityReport(CAI_KHE.provinceCode, '', CLERK);
    assert.ok(report.total.citizens >= 1);
    assert.ok(report.total.probableDuplicates >= 1);
    const hcm = await f.registry.qualityReport('079', '', CLERK);
    assert.equal(hcm.total.citizens, 1);
    assert.equal(hcm.communes[0]!.unitCode, '25747');
    assert.equal(hcm.total.stale, 0);
  });
});

describe('registry use cases: malformed input is refused before the database is touched', () => {
  /** A register whose database fails the test on any use: what is refused here never reached it. */
  const untouchable = () => {
    const touched = () => {
      throw new Error('the database was touched');
    };
    const db = { query: touched, transaction: touched };
    const store = { db, transaction: touched, readStream: touched } as unknown as EventStore;
    const audit = { record: touched, recordMany: touched, forSubject: touched } as unknown as AuditLog;
    const cache = { get: touched, set: touched };
    return new Registry({ store, cache, audit, today: () => TODAY, random: () => 0, staleAfterDays: 365 });
  };

  it('refuses bad registrations, commands, searches, reports and references without a query', async () => {
    const registry = untouchable();
    const refusals: Array<[string, Promise<unknown>, string[]]> = [
      [
        'a number of an unknown province',
        registry.registerExisting(facts(), '999190000001', WRITER),
        ['personalId:UNKNOWN_BIRTH_PLACE_CODE'],
      ],
      [
        'a 100 KB family name',
        registry.registerBirth(
          facts({
            name: { familyName: 'A'.repeat(100_000), givenName: 'An' },
            birthDate: '2026-11-01',
            birthPlace: CAI_KHE,
          }),
          WRITER,
        ),
        ['name.familyName:TOO_LONG'],
      ],
      [
        'a name change to no name',
        registry.execute(
          { personalId: '001190000001' },
          { type: 'ChangeName', name: {}, reason: 'x' },
          WRITER,
        ),
        ['name.familyName:REQUIRED', 'name.givenName:REQUIRED'],
      ],
      [
        'a malformed reference',
        registry.execute(
          { personalId: '42' },
          { type: 'RecordDeath', dateOfDeath: '2026-01-01', certificateRef: 'x' },
          WRITER,
        ),
        ['citizen.personalId:INVALID_FORMAT'],
      ],
      [
        'a date that does not exist',
        registry.search({ kind: 'name', fullName: 'Lê An', birthDate: '2023-02-30' }, 10, '', CLERK),
        ['byName.birthDate:INVALID_DATE'],
      ],
      [
        'a malformed page token',
        registry.search({ kind: 'commune', communeCode: '31120' }, 10, 'bm9wZQ', CLERK),
        ['pageToken:INVALID_PAGE_TOKEN'],
      ],
      ['an unknown province', registry.qualityReport('999', '', CLERK), ['provinceCode:UNKNOWN_UNIT']],
      ['a malformed personal id', registry.getCitizen('abc', CLERK), ['personalId:INVALID_FORMAT']],
    ];
    for (const [what, refused, expected] of refusals) {
      await assert.rejects(
        refused,
        (e: unknown) => {
          assert.ok(e instanceof DomainValidationError, `${what}: ${String(e)}`);
          assert.deepEqual(
            e.violations.map((v) => `${v.field}:${v.reason}`),
            expected,
            what,
          );
          return true;
        },
        what,
      );
    }
  });
});
