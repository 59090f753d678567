/**
 * Issue 18: every bad request gets a client error, every rule a clerk expects. Each RPC of the
 * register is sent the malformed inputs a fuzzer found (and their relatives), over a real gRPC
 * client, and must answer INVALID_ARGUMENT with the field and a reason per rule, or
 * FAILED_PRECONDITION with the rule where it depends on the register's state — never INTERNAL —
 * and must have written nothing: no event, no number, no idempotency key, no audit entry.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bearerFor, DevelopmentIssuer, identities } from '@cancuoc/auth';
import { closeClient, createClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { createLogger } from '@cancuoc/observability';
import { MaritalStatus, RegistryService, Sex, VerificationOutcome } from '@cancuoc/proto';
import { TEST_REDIS_URL, createTestDatabase } from '@cancuoc/testing';
import { startRegistry, type RunningRegistry } from './app.js';
import { TODAY } from './test-support/registry-fixture.js';

const CAI_KHE = { provinceCode: '092', communeCode: '31120', detail: '5 Hai Bà Trưng' };
const HANG_DAO = { provinceCode: '001', communeCode: '00049', detail: '' };
const HUGE = 'A'.repeat(100_000);

/** Facts of someone born in Hà Nội (before the 2025 reorganisation) and living in Cái Khế. */
function facts(overrides: Record<string, unknown> = {}) {
  return {
    name: { familyName: 'Trần', middleName: 'Văn', givenName: 'Nam' },
    birthDate: '1987-03-04',
    sex: Sex.MALE,
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    birthPlace: HANG_DAO,
    homeTown: HANG_DAO,
    permanentResidence: CAI_KHE,
    ...overrides,
  };
}

/** One malformed request and the refusal it must get. */
interface Case {
  readonly rpc: string;
  /** The rule, as the reader will look for it. */
  readonly rule: string;
  readonly request: () => object;
  readonly code: status;
  /** `field:REASON` of each field violation, or `subject:TYPE` of each precondition failure. */
  readonly expect: readonly string[];
  readonly idempotencyKey?: string;
}

describe('issue 18: every bad request to the registry is a client error, and writes nothing', () => {
  let running: RunningRegistry;
  let dropDb: () => Promise<void>;
  let client: GrpcClient<typeof RegistryService>;
  /** Records the cases name, by role. */
  const ids: Record<string, { citizenId: string; personalId: string }> = {};
  let communeToken = '';

  const call = (method: string, request: object, idempotencyKey?: string) =>
    (
      client[method as keyof typeof client] as unknown as (
        r: object,
        o?: { idempotencyKey?: string },
      ) => Promise<unknown>
    )(request, idempotencyKey === undefined ? undefined : { idempotencyKey });

  /** What a refused request must leave as it was. */
  const written = async () => {
    const [row] = await running.db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM es_events)::text AS events,
              (SELECT string_agg(stream_id || '@' || version, ',' ORDER BY stream_id) FROM es_streams)::text AS versions,
              (SELECT count(*) FROM reg_personal_ids)::text AS numbers,
              (SELECT count(*) FROM reg_idempotency)::text AS keys,
              (SELECT count(*) FROM audit_entries)::text AS audit`,
    );
    return row;
  };

  const register = async (role: string, personalId: string, overrides: Record<string, unknown>) => {
    const { registration } = await client.registerExistingCitizen({ facts: facts(overrides), personalId });
    ids[role] = { citizenId: registration!.citizenId, personalId };
  };

  before(async () => {
    const db = await createTestDatabase('registry_rules');
    dropDb = db.drop;
    const issuer = await DevelopmentIssuer.inMemory();
    running = await startRegistry(
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
    const metadata = await bearerFor(issuer, identities.clerk('c1', '79', { national: true }), 'registry');
    client = createClient(RegistryService, running.grpc.address, {
      metadata: () => metadata,
      defaultTimeoutMs: 20_000,
    });
    // A family: a man born in 1987, his father, his mother and his sister; a woman to marry; a
    // girl born in 2020; a boy born in 2010.
    await register('father', '001060000102', {
      name: { familyName: 'Trần', middleName: 'Văn', givenName: 'Cha' },
      birthDate: '1960-01-02',
    });
    await register('mother', '001162000103', {
      name: { familyName: 'Lê', middleName: 'Thị', givenName: 'Mẹ' },
      birthDate: '1962-05-06',
      sex: Sex.FEMALE,
    });
    await register('man', '001087000101', {
      fatherCitizenId: ids.father!.citizenId,
      motherCitizenId: ids.mother!.citizenId,
    });
    await register('sister', '001189000107', {
      name: { familyName: 'Trần', middleName: 'Thị', givenName: 'Em' },
      birthDate: '1989-07-08',
      sex: Sex.FEMALE,
      fatherCitizenId: ids.father!.citizenId,
    });
    await register('woman', '001190000105', {
      name: { familyName: 'Phạm', middleName: 'Thị', givenName: 'Vợ' },
      birthDate: '1990-09-10',
      sex: Sex.FEMALE,
    });
    await register('girl', '001320000104', {
      name: { familyName: 'Hồ', middleName: 'Thị', givenName: 'Bé' },
      birthDate: '2020-04-30',
      sex: Sex.FEMALE,
    });
    await register('boy', '001210000106', {
      name: { familyName: 'Đỗ', middleName: 'Văn', givenName: 'Út' },
      birthDate: '2010-01-01',
    });
    // A real page token of a commune search, once the read model has all seven residents (the
    // tests below count them; a loaded machine projects them a batch at a time).
    const byResidence = (pageSize: number) =>
      client.searchCitizens({
        criteria: { case: 'byCommune', value: { communeCode: '31120' } },
        pageSize,
        purpose: 'test',
      });
    for (const deadline = Date.now() + 20_000; (await byResidence(100)).citizens.length < 7;) {
      assert.ok(Date.now() < deadline, 'the read model did not catch up');
      await new Promise((r) => setTimeout(r, 100));
    }
    communeToken = (await byResidence(1)).nextPageToken;
    assert.notEqual(communeToken, '');
  });
  after(async () => {
    if (client) closeClient(client);
    await running?.stop();
    await dropDb?.();
  });

  const man = () => ({ personalId: ids.man!.personalId });
  const id = (role: string) => ids[role]!.citizenId;
  const invalid = status.INVALID_ARGUMENT;
  const failed = status.FAILED_PRECONDITION;
  const birth = (overrides: Record<string, unknown>) => ({
    facts: facts({ birthDate: '2026-11-01', birthPlace: CAI_KHE, ...overrides }),
  });
  const search = (criteria: object, more: object = {}) => ({ criteria, purpose: 'test', ...more });
  const byName = (fullName: string, birthDate: string) => ({
    case: 'byName',
    value: { fullName, birthDate },
  });
  const byCommune = (communeCode: string) => ({ case: 'byCommune', value: { communeCode } });
  const token = (cursor: object) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

  const cases: readonly Case[] = [
    // RegisterBirth: names, reference lists, dates, units, parents, the idempotency key.
    {
      rpc: 'registerBirth',
      rule: 'a 100 KB family name',
      request: () => birth({ name: { familyName: HUGE, givenName: 'An' } }),
      code: invalid,
      expect: ['facts.name.family_name:TOO_LONG'],
    },
    {
      rpc: 'registerBirth',
      rule: 'digits and a zero-width space in a name',
      request: () => birth({ name: { familyName: 'Lê2', middleName: 'Thị\u200B', givenName: 'An' } }),
      code: invalid,
      expect: ['facts.name.family_name:INVALID_CHARACTERS', 'facts.name.middle_name:INVALID_CHARACTERS'],
    },
    {
      rpc: 'registerBirth',
      rule: 'no given name',
      request: () => birth({ name: { familyName: 'Lê', givenName: ' ' } }),
      code: invalid,
      expect: ['facts.name.given_name:REQUIRED'],
    },
    {
      rpc: 'registerBirth',
      rule: 'nationality ZZZ, an unknown ethnic group and religion',
      request: () => birth({ nationality: 'ZZZ', ethnicity: 'Klingon', religion: 'Jedi' }),
      code: invalid,
      expect: [
        'facts.nationality:NOT_ISO_3166',
        'facts.ethnicity:UNKNOWN_ETHNICITY',
        'facts.religion:UNKNOWN_RELIGION',
      ],
    },
    {
      rpc: 'registerBirth',
      rule: 'a birth date that does not exist',
      request: () => birth({ birthDate: '2026-02-30' }),
      code: invalid,
      expect: ['facts.birth_date:INVALID_DATE'],
    },
    {
      rpc: 'registerBirth',
      rule: 'a birth date in the future',
      request: () => birth({ birthDate: '2026-11-27' }),
      code: invalid,
      expect: ['facts.birth_date:IN_FUTURE'],
    },
    {
      rpc: 'registerBirth',
      rule: 'a sex out of the enum',
      request: () => birth({ sex: 7 }),
      code: invalid,
      expect: ['facts.sex:NOT_ALLOWED'],
    },
    {
      rpc: 'registerBirth',
      rule: 'unknown province and commune codes',
      request: () =>
        birth({
          birthPlace: { provinceCode: '999', communeCode: '31120' },
          permanentResidence: { provinceCode: '092', communeCode: '99999' },
        }),
      code: invalid,
      expect: [
        'facts.birth_place.province_code:UNKNOWN_UNIT',
        'facts.permanent_residence.commune_code:UNKNOWN_UNIT',
      ],
    },
    {
      rpc: 'registerBirth',
      rule: 'a 100 KB street address',
      request: () => birth({ permanentResidence: { ...CAI_KHE, detail: HUGE } }),
      code: invalid,
      expect: ['facts.permanent_residence.detail:TOO_LONG'],
    },
    {
      rpc: 'registerBirth',
      rule: 'a parent id that is no uuid',
      request: () => birth({ fatherCitizenId: 'DROP TABLE' }),
      code: invalid,
      expect: ['facts.father_citizen_id:INVALID_CITIZEN_ID'],
    },
    {
      rpc: 'registerBirth',
      rule: 'PARENT_NOT_FOUND',
      request: () => birth({ fatherCitizenId: randomUUID() }),
      code: failed,
      expect: ['facts.father_citizen_id:PARENT_NOT_FOUND'],
    },
    {
      rpc: 'registerBirth',
      rule: 'SAME_PARENT_TWICE',
      request: () => birth({ fatherCitizenId: id('father'), motherCitizenId: id('father') }),
      code: failed,
      expect: ['facts.mother_citizen_id:SAME_PARENT_TWICE'],
    },
    {
      rpc: 'registerBirth',
      rule: 'PARENT_SEX_MISMATCH and PARENT_TOO_YOUNG: a girl born in 2020 as father',
      request: () => birth({ fatherCitizenId: id('girl') }),
      code: failed,
      expect: ['facts.father_citizen_id:PARENT_SEX_MISMATCH', 'facts.father_citizen_id:PARENT_TOO_YOUNG'],
    },
    {
      rpc: 'registerBirth',
      rule: 'an idempotency key of 300 characters',
      request: () => birth({}),
      idempotencyKey: 'k'.repeat(300),
      code: invalid,
      expect: ['idempotency-key:INVALID_FORMAT'],
    },
    // RegisterExistingCitizen: the number is judged before it is claimed.
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number that is not 12 digits',
      request: () => ({ facts: facts(), personalId: '12345' }),
      code: invalid,
      expect: ['personal_id:INVALID_FORMAT'],
    },
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number of an unknown province',
      request: () => ({ facts: facts(), personalId: '999087000111' }),
      code: invalid,
      expect: ['personal_id:UNKNOWN_BIRTH_PLACE_CODE'],
    },
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number of another century',
      request: () => ({ facts: facts(), personalId: '001210000111' }),
      code: invalid,
      expect: ['facts.birth_date:BIRTH_CENTURY_MISMATCH'],
    },
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number of a birth year still to come',
      request: () => ({ facts: facts(), personalId: '001287000111' }),
      code: invalid,
      expect: ['personal_id:BIRTH_YEAR_IN_FUTURE'],
    },
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number of another province of birth',
      request: () => ({ facts: facts(), personalId: '079087000111' }),
      code: invalid,
      expect: ['facts.birth_place.province_code:BIRTH_PLACE_MISMATCH'],
    },
    {
      rpc: 'registerExistingCitizen',
      rule: 'a number already held, with facts it contradicts: INVALID_ARGUMENT, not ALREADY_EXISTS',
      request: () => ({ facts: facts({ sex: Sex.FEMALE }), personalId: '001087000101' }),
      code: invalid,
      expect: ['facts.sex:SEX_MISMATCH'],
    },
    // Commands on a record: the reference, the version, each command's fields and rules.
    {
      rpc: 'changeName',
      rule: 'a personal id that is not 12 digits',
      request: () => ({
        citizen: { personalId: 'abc' },
        name: { familyName: 'Lê', givenName: 'An' },
        reason: 'x',
      }),
      code: invalid,
      expect: ['citizen.personal_id:INVALID_FORMAT'],
    },
    {
      rpc: 'changeName',
      rule: 'expected_version -1 (2^64 - 1)',
      request: () => ({
        citizen: { ...man(), expectedVersion: 18446744073709551615n },
        name: { familyName: 'Lê', givenName: 'An' },
        reason: 'x',
      }),
      code: invalid,
      expect: ['citizen.expected_version:OUT_OF_RANGE'],
    },
    {
      rpc: 'changeName',
      rule: 'a 100 KB name and reason',
      request: () => ({ citizen: man(), name: { familyName: HUGE, givenName: 'An' }, reason: HUGE }),
      code: invalid,
      expect: ['name.family_name:TOO_LONG', 'reason:TOO_LONG'],
    },
    {
      rpc: 'registerPermanentResidence',
      rule: 'a date that does not exist',
      request: () => ({ citizen: man(), address: CAI_KHE, since: '2023-02-30' }),
      code: invalid,
      expect: ['since:INVALID_DATE'],
    },
    {
      rpc: 'registerPermanentResidence',
      rule: 'an unknown commune',
      request: () => ({
        citizen: man(),
        address: { provinceCode: '092', communeCode: '99999' },
        since: '2026-01-01',
      }),
      code: invalid,
      expect: ['address.commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'registerPermanentResidence',
      rule: 'no address',
      request: () => ({ citizen: man(), since: '2026-01-01' }),
      code: invalid,
      expect: ['address:REQUIRED'],
    },
    {
      rpc: 'registerTemporaryResidence',
      rule: 'an end before the start',
      request: () => ({
        citizen: man(),
        address: { provinceCode: '001', communeCode: '00004' },
        from: '2026-06-01',
        until: '2026-05-01',
      }),
      code: invalid,
      expect: ['until:BEFORE_START'],
    },
    {
      rpc: 'registerTemporaryResidence',
      rule: '9999-99-99',
      request: () => ({ citizen: man(), address: CAI_KHE, from: '9999-99-99' }),
      code: invalid,
      expect: ['from:INVALID_DATE'],
    },
    {
      rpc: 'endTemporaryResidence',
      rule: 'month 13',
      request: () => ({ citizen: man(), endedOn: '2026-13-01' }),
      code: invalid,
      expect: ['ended_on:INVALID_DATE'],
    },
    {
      rpc: 'recordParents',
      rule: 'no parent named',
      request: () => ({ citizen: man() }),
      code: invalid,
      expect: ['father_citizen_id:REQUIRED'],
    },
    {
      rpc: 'recordParents',
      rule: 'a parent id that is no uuid',
      request: () => ({ citizen: man(), motherCitizenId: 'x'.repeat(10_000) }),
      code: invalid,
      expect: ['mother_citizen_id:INVALID_CITIZEN_ID'],
    },
    {
      rpc: 'recordParents',
      rule: 'PARENT_NOT_FOUND',
      request: () => ({ citizen: man(), fatherCitizenId: randomUUID() }),
      code: failed,
      expect: ['father_citizen_id:PARENT_NOT_FOUND'],
    },
    {
      rpc: 'recordParents',
      rule: 'PARENT_IS_CITIZEN',
      request: () => ({ citizen: man(), fatherCitizenId: id('man') }),
      code: failed,
      expect: ['father_citizen_id:PARENT_IS_CITIZEN'],
    },
    {
      rpc: 'recordParents',
      rule: 'SAME_PARENT_TWICE',
      request: () => ({ citizen: man(), fatherCitizenId: id('father'), motherCitizenId: id('father') }),
      code: failed,
      expect: ['mother_citizen_id:SAME_PARENT_TWICE'],
    },
    {
      rpc: 'recordParents',
      rule: 'PARENT_SEX_MISMATCH and PARENT_TOO_YOUNG: a girl born in 2020 as father of a man born in 1987',
      request: () => ({ citizen: man(), fatherCitizenId: id('girl') }),
      code: failed,
      expect: ['father_citizen_id:PARENT_SEX_MISMATCH', 'father_citizen_id:PARENT_TOO_YOUNG'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'a status out of the enum',
      request: () => ({ citizen: man(), status: 99, since: '2020-01-01' }),
      code: invalid,
      expect: ['status:NOT_ALLOWED'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'a marriage naming no spouse',
      request: () => ({ citizen: man(), status: MaritalStatus.MARRIED, since: '2020-01-01' }),
      code: invalid,
      expect: ['spouse_citizen_id:REQUIRED'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'MARRIAGE_TO_SELF',
      request: () => ({
        citizen: man(),
        status: MaritalStatus.MARRIED,
        spouseCitizenId: id('man'),
        since: '2020-01-01',
      }),
      code: failed,
      expect: ['spouse_citizen_id:MARRIAGE_TO_SELF'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'SPOUSE_NOT_FOUND',
      request: () => ({
        citizen: man(),
        status: MaritalStatus.MARRIED,
        spouseCitizenId: randomUUID(),
        since: '2020-01-01',
      }),
      code: failed,
      expect: ['spouse_citizen_id:SPOUSE_NOT_FOUND'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'UNDER_MARRIAGE_AGE: a man of 17 and a woman of 14',
      request: () => ({
        citizen: man(),
        status: MaritalStatus.MARRIED,
        spouseCitizenId: id('woman'),
        since: '2004-12-31',
      }),
      code: failed,
      expect: ['citizen:UNDER_MARRIAGE_AGE', 'spouse_citizen_id:UNDER_MARRIAGE_AGE'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'CLOSE_RELATIVES: his sister',
      request: () => ({
        citizen: man(),
        status: MaritalStatus.MARRIED,
        spouseCitizenId: id('sister'),
        since: '2020-01-01',
      }),
      code: failed,
      expect: ['spouse_citizen_id:CLOSE_RELATIVES'],
    },
    {
      rpc: 'changeMaritalStatus',
      rule: 'CLOSE_RELATIVES: his mother',
      request: () => ({
        citizen: man(),
        status: MaritalStatus.MARRIED,
        spouseCitizenId: id('mother'),
        since: '2020-01-01',
      }),
      code: failed,
      expect: ['spouse_citizen_id:CLOSE_RELATIVES'],
    },
    {
      rpc: 'recordDeath',
      rule: 'a death before the birth',
      request: () => ({ citizen: man(), dateOfDeath: '1980-01-01', certificateRef: 'KT-1' }),
      code: invalid,
      expect: ['date_of_death:BEFORE_BIRTH'],
    },
    {
      rpc: 'recordDeath',
      rule: 'a death tomorrow',
      request: () => ({ citizen: man(), dateOfDeath: '2026-11-27', certificateRef: 'KT-1' }),
      code: invalid,
      expect: ['date_of_death:IN_FUTURE'],
    },
    {
      rpc: 'recordDeath',
      rule: '29 February of a common year, and a 100 KB certificate',
      request: () => ({ citizen: man(), dateOfDeath: '2025-02-29', certificateRef: HUGE }),
      code: invalid,
      expect: ['date_of_death:INVALID_DATE', 'certificate_ref:TOO_LONG'],
    },
    {
      rpc: 'correctField',
      rule: 'a 10 KB field name and a 100 KB reason',
      request: () => ({
        citizen: man(),
        field: 'x'.repeat(10_000),
        value: { case: 'text', value: 'x' },
        reason: HUGE,
        evidenceRef: 'HS-1',
      }),
      code: invalid,
      expect: ['field:NOT_ALLOWED', 'reason:TOO_LONG'],
    },
    {
      rpc: 'correctField',
      rule: 'an ethnic group not on the list',
      request: () => ({
        citizen: man(),
        field: 'ethnicity',
        value: { case: 'text', value: 'Klingon' },
        reason: 'x',
        evidenceRef: 'HS-1',
      }),
      code: invalid,
      expect: ['value:UNKNOWN_ETHNICITY'],
    },
    {
      rpc: 'correctField',
      rule: 'a birth date the number contradicts',
      request: () => ({
        citizen: man(),
        field: 'birthDate',
        value: { case: 'text', value: '1988-03-04' },
        reason: 'x',
        evidenceRef: 'HS-1',
      }),
      code: invalid,
      expect: ['value:BIRTH_YEAR_MISMATCH'],
    },
    {
      rpc: 'correctField',
      rule: 'a value of the wrong shape',
      request: () => ({
        citizen: man(),
        field: 'birthDate',
        value: { case: 'address', value: CAI_KHE },
        reason: 'x',
        evidenceRef: 'HS-1',
      }),
      code: invalid,
      expect: ['value:REQUIRED'],
    },
    {
      rpc: 'recordVerification',
      rule: 'an outcome out of the enum, no officer',
      request: () => ({ citizen: man(), verifiedBy: '', outcome: 99 }),
      code: invalid,
      expect: ['verified_by:REQUIRED', 'outcome:NOT_ALLOWED'],
    },
    {
      rpc: 'recordVerification',
      rule: 'a 100 KB note',
      request: () => ({
        citizen: man(),
        verifiedBy: 'officer-1',
        outcome: VerificationOutcome.DISCREPANCY,
        note: HUGE,
      }),
      code: invalid,
      expect: ['note:TOO_LONG'],
    },
    // Reads.
    {
      rpc: 'getCitizen',
      rule: 'a personal id that is not 12 digits',
      request: () => ({ personalId: 'x'.repeat(10_000), purpose: 'test' }),
      code: invalid,
      expect: ['personal_id:INVALID_FORMAT'],
    },
    {
      rpc: 'getCitizen',
      rule: 'a purpose of 300 characters',
      request: () => ({ ...man(), purpose: 'p'.repeat(300) }),
      code: invalid,
      expect: ['purpose:TOO_LONG'],
    },
    {
      rpc: 'getCitizenHistory',
      rule: 'no personal id',
      request: () => ({ personalId: '', purpose: 'test' }),
      code: invalid,
      expect: ['personal_id:REQUIRED'],
    },
    {
      rpc: 'getAccessLog',
      rule: 'a personal id of 13 digits',
      request: () => ({ personalId: '0010870001010', purpose: 'test' }),
      code: invalid,
      expect: ['personal_id:INVALID_FORMAT'],
    },
    // SearchCitizens: dates, names, communes, page tokens.
    {
      rpc: 'searchCitizens',
      rule: 'no criteria',
      request: () => ({ purpose: 'test' }),
      code: invalid,
      expect: ['criteria:REQUIRED'],
    },
    {
      rpc: 'searchCitizens',
      rule: '2023-02-30',
      request: () => search(byName('Trần Văn Nam', '2023-02-30')),
      code: invalid,
      expect: ['by_name.birth_date:INVALID_DATE'],
    },
    {
      rpc: 'searchCitizens',
      rule: '9999-99-99',
      request: () => search(byName('Trần Văn Nam', '9999-99-99')),
      code: invalid,
      expect: ['by_name.birth_date:INVALID_DATE'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a birth date in the future',
      request: () => search(byName('Trần Văn Nam', '2027-01-01')),
      code: invalid,
      expect: ['by_name.birth_date:IN_FUTURE'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a 100 KB name',
      request: () => search(byName(HUGE, '1987-03-04')),
      code: invalid,
      expect: ['by_name.full_name:TOO_LONG'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a name with digits',
      request: () => search(byName('Trần 2', '1987-03-04')),
      code: invalid,
      expect: ['by_name.full_name:INVALID_CHARACTERS'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'an unknown commune',
      request: () => search(byCommune('99999')),
      code: invalid,
      expect: ['by_commune.commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a commune merged away in 2025',
      request: () => search(byCommune('00049')),
      code: invalid,
      expect: ['by_commune.commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a commune code that is no code',
      request: () => search(byCommune('abc')),
      code: invalid,
      expect: ['by_commune.commune_code:INVALID_FORMAT'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a malformed page token',
      request: () => search(byCommune('31120'), { pageToken: '%%%not base64%%%' }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a page token of random bytes',
      request: () =>
        search(byCommune('31120'), {
          pageToken: Buffer.from([0xff, 0x00, 0x13, 0x37]).toString('base64url'),
        }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a page token of another version',
      request: () => search(byCommune('31120'), { pageToken: token({ v: 2, q: 'x', a: randomUUID() }) }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a page token of another search (foreign)',
      request: () => search(byName('Trần Văn Nam', '1987-03-04'), { pageToken: communeToken }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'a page token of another commune',
      request: () => search(byCommune('31135'), { pageToken: communeToken }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    {
      rpc: 'searchCitizens',
      rule: 'the old token format (the citizen id in base64url)',
      request: () => search(byCommune('31120'), { pageToken: Buffer.from(id('man')).toString('base64url') }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    // GetQualityReport: units in force today.
    {
      rpc: 'getQualityReport',
      rule: 'a province code that is no code',
      request: () => ({ provinceCode: 'x' }),
      code: invalid,
      expect: ['province_code:INVALID_FORMAT'],
    },
    {
      rpc: 'getQualityReport',
      rule: 'an unknown province',
      request: () => ({ provinceCode: '999' }),
      code: invalid,
      expect: ['province_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'getQualityReport',
      rule: 'a province merged away in 2025 (Bình Dương)',
      request: () => ({ provinceCode: '074' }),
      code: invalid,
      expect: ['province_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'getQualityReport',
      rule: 'an unknown commune',
      request: () => ({ provinceCode: '092', communeCode: '99999' }),
      code: invalid,
      expect: ['commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'getQualityReport',
      rule: 'a commune of another province',
      request: () => ({ provinceCode: '001', communeCode: '31120' }),
      code: invalid,
      expect: ['commune_code:WRONG_PROVINCE'],
    },
    // ListRecodingQueue (issue 21): an old commune by a code some commune had, or a province of today.
    {
      rpc: 'listRecodingQueue',
      rule: 'no scope',
      request: () => ({ purpose: 'test' }),
      code: invalid,
      expect: ['scope:REQUIRED'],
    },
    {
      rpc: 'listRecodingQueue',
      rule: 'no purpose',
      request: () => ({ scope: { case: 'oldCommuneCode', value: '25741' } }),
      code: invalid,
      expect: ['purpose:REQUIRED'],
    },
    {
      rpc: 'listRecodingQueue',
      rule: 'an old commune code that is no code',
      request: () => ({ scope: { case: 'oldCommuneCode', value: '2574' }, purpose: 'test' }),
      code: invalid,
      expect: ['old_commune_code:INVALID_FORMAT'],
    },
    {
      rpc: 'listRecodingQueue',
      rule: 'a commune code no commune ever had',
      request: () => ({ scope: { case: 'oldCommuneCode', value: '99999' }, purpose: 'test' }),
      code: invalid,
      expect: ['old_commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'listRecodingQueue',
      rule: 'a province merged away in 2025 (Bình Dương)',
      request: () => ({ scope: { case: 'provinceCode', value: '074' }, purpose: 'test' }),
      code: invalid,
      expect: ['province_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'listRecodingQueue',
      rule: 'a page token of a search',
      request: () => ({
        scope: { case: 'oldCommuneCode', value: '25741' },
        pageToken: communeToken,
        purpose: 'test',
      }),
      code: invalid,
      expect: ['page_token:INVALID_PAGE_TOKEN'],
    },
    // RecodeResidence (issue 21): a commune of today, one of the recorded commune's successors.
    {
      rpc: 'recodeResidence',
      rule: 'no commune',
      request: () => ({ citizen: man(), communeCode: '' }),
      code: invalid,
      expect: ['commune_code:REQUIRED'],
    },
    {
      rpc: 'recodeResidence',
      rule: 'a commune code that is no code',
      request: () => ({ citizen: man(), communeCode: '3112O' }),
      code: invalid,
      expect: ['commune_code:INVALID_FORMAT'],
    },
    {
      rpc: 'recodeResidence',
      rule: 'a commune of before the reorganisation',
      request: () => ({ citizen: man(), communeCode: '25741' }),
      code: invalid,
      expect: ['commune_code:UNKNOWN_UNIT'],
    },
    {
      rpc: 'recodeResidence',
      rule: 'no citizen named',
      request: () => ({ communeCode: '31120' }),
      code: invalid,
      expect: ['citizen.personal_id:REQUIRED'],
    },
    {
      rpc: 'recodeResidence',
      rule: 'a residence with one successor (nothing to choose)',
      request: () => ({ citizen: man(), communeCode: '31120' }),
      code: failed,
      expect: ['citizen:NO_RECODING_NEEDED'],
    },
  ];

  it('covers every RPC of the register', () => {
    const covered = new Set(cases.map((c) => c.rpc));
    assert.deepEqual(
      RegistryService.methods.map((m) => m.localName).filter((m) => !covered.has(m)),
      [],
    );
  });

  for (const c of cases) {
    it(`${c.rpc}: ${c.rule}`, async () => {
      const before = await written();
      const mutating = !/^(get|search|list)/.test(c.rpc);
      const key = c.idempotencyKey ?? (mutating ? randomUUID() : undefined);
      const details = await call(c.rpc, c.request(), key).then(
        () => assert.fail('accepted'),
        (e: unknown) => readErrorDetails(e),
      );
      assert.equal(status[details!.code], status[c.code], details?.message);
      const found =
        c.code === status.INVALID_ARGUMENT
          ? (details?.badRequest?.fieldViolations ?? []).map((v) => `${v.field}:${v.reason}`)
          : (details?.preconditionFailure?.violations ?? []).map((v) => `${v.subject}:${v.type}`);
      assert.deepEqual(found, c.expect);
      if (c.code === status.FAILED_PRECONDITION) {
        assert.equal(details?.errorInfo?.reason, c.expect[0]!.split(':')[1]);
        const said = JSON.stringify(details?.preconditionFailure) + details!.message;
        for (const { citizenId, personalId } of Object.values(ids)) {
          assert.ok(!said.includes(citizenId) && !said.includes(personalId), said);
        }
        assert.doesNotMatch(said, /Trần|\bNam\b|\b(19|20)\d\d\b/, `no personal data in the refusal: ${said}`);
      }
      assert.deepEqual(await written(), before, 'nothing was written');
    });
  }

  it('still serves the well-formed neighbours of those requests', async () => {
    // A huge page size is coerced to the largest, the token of a search continues that search.
    type Page = { citizens: unknown[]; nextPageToken: string };
    const all = (await call(
      'searchCitizens',
      search(byCommune('31120'), { pageSize: 4_294_967_295 }),
    )) as Page;
    assert.ok(all.citizens.length >= 7 && all.nextPageToken === '', String(all.citizens.length));
    const next = (await call(
      'searchCitizens',
      search(byCommune('31120'), { pageSize: 1, pageToken: communeToken }),
    )) as Page;
    assert.equal(next.citizens.length, 1);
    const spelled = await client.registerBirth(
      birth({ ethnicity: 'gia-rai', religion: 'phat giao', nationality: 'vnm', fatherCitizenId: id('man') }),
    );
    const view = await client.getCitizen({ personalId: spelled.registration!.personalId, purpose: 'test' });
    assert.deepEqual(
      [view.citizen?.ethnicity, view.citizen?.religion, view.citizen?.nationality],
      ['Gia Rai', 'Phật giáo', 'VNM'],
      'stored as the reference lists write them',
    );
    await client.changeMaritalStatus({
      citizen: man(),
      status: MaritalStatus.MARRIED,
      spouseCitizenId: id('woman'),
      since: '2012-05-05',
    });
    const report = await client.getQualityReport({ provinceCode: '092', communeCode: '31120' });
    assert.ok(report.total!.citizens >= 7n);
  });
});
