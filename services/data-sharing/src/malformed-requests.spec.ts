/**
 * Issue 18, "every bad request gets a client error": every RPC of AgencyQueryService,
 * SubscriptionService, DataProtectionService and data sharing's OperationsService, called with
 * valid credentials and a malformed request — ids that are not UUIDs, codes of the wrong shape,
 * text and repeated fields over their bounds, enums out of range or left UNSPECIFIED, numbers out
 * of range, impossible dates — answers INVALID_ARGUMENT naming the field and the rule (never
 * INTERNAL or UNKNOWN) and writes nothing: every table is the same, row for row, before and after.
 * And VerifyIdentity compares names exactly, unless the agency's subscription chose loose matching
 * under four eyes; every verification that compared a name says in the audit log which way.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { identities } from '@cancuoc/auth';
import { readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import {
  malformedRequestFailures,
  tableSnapshot,
  type MalformedCase,
} from '@cancuoc/grpc/malformed-requests';
import { datasharing, partner } from '@cancuoc/proto';
import { DELIVERY, F, startHarness, type AgencyClient, type Harness } from './test-support/harness.js';
import { citizenInit } from './test-support/upstream.js';

const LONG = 'x'.repeat(100_000);
const PURPOSE = 'social-insurance';
const HUONG = '001190000601';

type Terms = MessageInitShape<typeof datasharing.SubscriptionTermsSchema>;
const TERMS: Terms = {
  fields: [F.PERSONAL_ID, F.NAME, F.BIRTH_DATE, F.SEX, F.NATIONALITY, F.CARD],
  scope: { provinceCodes: ['001'] },
  delivery: DELIVERY.GRPC,
};

interface Callers {
  readonly agency: AgencyClient;
  readonly admin: GrpcClient<typeof datasharing.SubscriptionService>;
  readonly reports: GrpcClient<typeof datasharing.DataProtectionService>;
  readonly operations: GrpcClient<typeof datasharing.OperationsService>;
}

type Case = MalformedCase<Callers>;

/** The RPCs whose requests have no fields: nothing in them can be malformed. */
const NO_FIELDS = ['ListCitizenFields', 'VerifyAuditLog', 'GetProjectionStatus'];

const byId = (value: string) => ({ key: { case: 'citizenId' as const, value } });
const byNumber = (value: string) => ({ key: { case: 'personalId' as const, value } });

describe('malformed requests to data sharing: a client error, and nothing written', () => {
  let h: Harness;
  let callers: Callers;
  let subscriptionId = '';
  const huong = randomUUID();

  before(async () => {
    h = await startHarness({
      agencies: [],
      kafka: false,
      config: { verificationsPerCitizenPerDay: 1_000 },
    });
    await h.upstream.publish(
      h.upstream.citizenRecord(
        huong,
        citizenInit({
          personalId: HUONG,
          familyName: 'Huỳnh',
          middleName: 'Bảo',
          givenName: 'Hương',
          sex: partner.Sex.FEMALE,
          birthDate: '1992-08-09',
        }),
      ),
    );
    await h.projected(huong, 1);
    const subscription = await h.subscribe({
      agency: 'bhxh',
      agencyName: 'Bảo hiểm xã hội Việt Nam',
      purpose: PURPOSE,
      purposeDescription: 'enrolment of insured persons',
      legalBasis: 'Luật Bảo hiểm xã hội 2024',
      terms: TERMS,
    });
    subscriptionId = subscription.subscriptionId;
    callers = {
      agency: await h.agency('bhxh'),
      admin: h.requester,
      reports: await h.client(datasharing.DataProtectionService, identities.administrator('chi')),
      operations: await h.client(datasharing.OperationsService, identities.administrator('chi')),
    };
  });
  after(() => h?.close());

  const id = () => subscriptionId;
  type Request = Exclude<
    MessageInitShape<typeof datasharing.RequestSubscriptionRequestSchema>,
    datasharing.RequestSubscriptionRequest
  >;
  const request = (overrides: Partial<Request> = {}): Request => ({
    agency: 'thue',
    agencyName: 'Tổng cục Thuế',
    purpose: 'tax-collection',
    purposeDescription: 'tax registration',
    legalBasis: 'Luật Quản lý thuế 2019',
    terms: TERMS,
    ...overrides,
  });
  const cases: Case[] = [
    // GetCitizen
    {
      rpc: 'GetCitizen',
      what: 'no purpose',
      call: (c) => c.agency.getCitizen({ citizen: byId(randomUUID()) }),
      field: 'purpose',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetCitizen',
      what: 'a purpose that is not a purpose code',
      call: (c) => c.agency.getCitizen({ purpose: "x' OR 1=1 --", citizen: byId(randomUUID()) }),
      field: 'purpose',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCitizen',
      what: 'a purpose of 100 000 characters',
      call: (c) => c.agency.getCitizen({ purpose: LONG, citizen: byId(randomUUID()) }),
      field: 'purpose',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCitizen',
      what: 'no citizen',
      call: (c) => c.agency.getCitizen({ purpose: PURPOSE }),
      field: 'citizen',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetCitizen',
      what: 'a citizen id that is not a UUID',
      call: (c) => c.agency.getCitizen({ purpose: PURPOSE, citizen: byId('not-a-uuid') }),
      field: 'citizen',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCitizen',
      what: 'a personal id of 100 000 characters',
      call: (c) => c.agency.getCitizen({ purpose: PURPOSE, citizen: byNumber(LONG) }),
      field: 'citizen',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetCitizen',
      what: 'a position of 2⁶⁴−1',
      call: (c) =>
        c.agency.getCitizen({
          purpose: PURPOSE,
          citizen: byId(huong),
          consistency: { minPosition: 2n ** 64n - 1n },
        }),
      field: 'consistency.min_position',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'GetCitizen',
      what: 'a UUID of nobody',
      call: (c) => c.agency.getCitizen({ purpose: PURPOSE, citizen: byId(randomUUID()) }),
      field: '',
      code: status.NOT_FOUND,
    },
    // BatchGetCitizens
    {
      rpc: 'BatchGetCitizens',
      what: 'no keys',
      call: (c) => c.agency.batchGetCitizens({ purpose: PURPOSE }),
      field: 'citizens',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'BatchGetCitizens',
      what: '10 000 keys',
      call: (c) =>
        c.agency.batchGetCitizens({
          purpose: PURPOSE,
          citizens: Array.from({ length: 10_000 }, () => byId(huong)),
        }),
      field: 'citizens',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'BatchGetCitizens',
      what: 'an empty key',
      call: (c) => c.agency.batchGetCitizens({ purpose: PURPOSE, citizens: [byId(huong), {}] }),
      field: 'citizens[1]',
      reason: 'REQUIRED',
    },
    {
      rpc: 'BatchGetCitizens',
      what: 'a key that is not a UUID',
      call: (c) => c.agency.batchGetCitizens({ purpose: PURPOSE, citizens: [byId("'; --")] }),
      field: 'citizens[0]',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'BatchGetCitizens',
      what: 'a purpose that is not a purpose code',
      call: (c) => c.agency.batchGetCitizens({ purpose: 'Social Insurance', citizens: [byId(huong)] }),
      field: 'purpose',
      reason: 'INVALID_FORMAT',
    },
    // VerifyIdentity
    ...(
      [
        ['a personal id that is not 12 digits', { personalId: 'abc' }, 'personal_id', 'INVALID_FORMAT'],
        ['a personal id of 100 000 characters', { personalId: LONG }, 'personal_id', 'INVALID_FORMAT'],
        ['no claim', { claimed: undefined }, 'claimed', 'REQUIRED'],
        ['an empty claim', { claimed: {} }, 'claimed', 'REQUIRED'],
        ['an empty name', { claimed: { fullName: '' } }, 'claimed.full_name', 'REQUIRED'],
        ['a blank name', { claimed: { fullName: ' \t ' } }, 'claimed.full_name', 'REQUIRED'],
        ['a name of 100 000 characters', { claimed: { fullName: LONG } }, 'claimed.full_name', 'TOO_LONG'],
        [
          'a birth date that is not YYYY-MM-DD',
          { claimed: { birthDate: '09/08/1992' } },
          'claimed.birth_date',
          'INVALID_DATE_FORMAT',
        ],
        [
          'a birth date that does not exist',
          { claimed: { birthDate: '1992-02-30' } },
          'claimed.birth_date',
          'INVALID_DATE',
        ],
        ['sex UNSPECIFIED', { claimed: { sex: partner.Sex.UNSPECIFIED } }, 'claimed.sex', 'REQUIRED'],
        ['sex 9', { claimed: { sex: 9 as partner.Sex } }, 'claimed.sex', 'INVALID_VALUE'],
        [
          'a nationality that is not a code',
          { claimed: { nationality: 'Việt Nam' } },
          'claimed.nationality',
          'INVALID_FORMAT',
        ],
        [
          'a document number with spaces',
          { claimed: { cardDocumentNumber: '001 092 601' } },
          'claimed.card_document_number',
          'INVALID_FORMAT',
        ],
        ['a purpose that is not a code', { purpose: 'x' }, 'purpose', 'INVALID_FORMAT'],
      ] as const
    ).map(([what, req, field, reason]): Case => ({
      rpc: 'VerifyIdentity',
      what,
      call: (c) =>
        c.agency.verifyIdentity({
          purpose: PURPOSE,
          personalId: HUONG,
          claimed: { birthDate: '1992-08-09' },
          ...(req as object),
        }),
      field,
      reason,
    })),
    // SubscriptionService
    {
      rpc: 'RequestSubscription',
      what: 'an agency code that is not one',
      call: (c) => c.admin.requestSubscription(request({ agency: 'Tổng cục Thuế' })),
      field: 'agency',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RequestSubscription',
      what: 'an agency code of 100 000 characters',
      call: (c) => c.admin.requestSubscription(request({ agency: LONG })),
      field: 'agency',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RequestSubscription',
      what: 'no purpose',
      call: (c) => c.admin.requestSubscription(request({ purpose: '' })),
      field: 'purpose',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RequestSubscription',
      what: 'an agency name of 100 000 characters',
      call: (c) => c.admin.requestSubscription(request({ agencyName: LONG })),
      field: 'agency_name',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a purpose description of 1 001 characters',
      call: (c) => c.admin.requestSubscription(request({ purposeDescription: 'p'.repeat(1_001) })),
      field: 'purpose_description',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'RequestSubscription',
      what: 'no legal basis',
      call: (c) => c.admin.requestSubscription(request({ legalBasis: '  ' })),
      field: 'legal_basis',
      reason: 'REQUIRED',
    },
    {
      rpc: 'RequestSubscription',
      what: 'no terms',
      call: (c) => c.admin.requestSubscription(request({ terms: undefined })),
      field: 'terms.delivery',
      reason: 'REQUIRED',
    },
    {
      rpc: 'RequestSubscription',
      what: '10 000 fields',
      call: (c) =>
        c.admin.requestSubscription(
          request({ terms: { ...TERMS, fields: Array.from({ length: 10_000 }, () => F.NAME) } }),
        ),
      field: 'terms.fields',
      reason: 'TOO_MANY',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a field the catalogue does not have',
      call: (c) =>
        c.admin.requestSubscription(request({ terms: { ...TERMS, fields: [99 as partner.CitizenField] } })),
      field: 'terms.fields[0]',
      reason: 'UNKNOWN_FIELD',
    },
    {
      rpc: 'RequestSubscription',
      what: 'field UNSPECIFIED',
      call: (c) =>
        c.admin.requestSubscription(
          request({ terms: { ...TERMS, fields: [F.NAME, partner.CitizenField.UNSPECIFIED] } }),
        ),
      field: 'terms.fields[1]',
      reason: 'UNKNOWN_FIELD',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a delivery the contract does not define',
      call: (c) =>
        c.admin.requestSubscription(request({ terms: { ...TERMS, delivery: 9 as datasharing.Delivery } })),
      field: 'terms.delivery',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a name matching the contract does not define',
      call: (c) =>
        c.admin.requestSubscription(
          request({ terms: { ...TERMS, nameMatching: 7 as datasharing.NameMatching } }),
        ),
      field: 'terms.name_matching',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'RequestSubscription',
      what: '10 000 province codes',
      call: (c) =>
        c.admin.requestSubscription(
          request({
            terms: { ...TERMS, scope: { provinceCodes: Array.from({ length: 10_000 }, () => '001') } },
          }),
        ),
      field: 'terms.scope.province_codes',
      reason: 'TOO_MANY',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a province code of 100 000 characters',
      call: (c) =>
        c.admin.requestSubscription(request({ terms: { ...TERMS, scope: { provinceCodes: [LONG] } } })),
      field: 'terms.scope.province_codes[0]',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a minimum age of 2³²−1',
      call: (c) =>
        c.admin.requestSubscription(request({ terms: { ...TERMS, scope: { minAge: 4_294_967_295 } } })),
      field: 'terms.scope.min_age',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a legal basis of a sensitive field of 100 000 characters',
      call: (c) =>
        c.admin.requestSubscription(
          request({
            terms: {
              ...TERMS,
              fields: [F.NAME, F.RELIGION],
              sensitiveFieldBases: [{ field: F.RELIGION, legalBasis: LONG }],
            },
          }),
        ),
      field: 'terms.sensitive_field_bases[0].legal_basis',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'RequestSubscription',
      what: 'an idempotency key of 300 characters',
      call: (c) => c.admin.requestSubscription(request(), { idempotencyKey: 'k'.repeat(300) }),
      field: 'idempotency-key',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RequestSubscription',
      what: 'a NUL in the agency name (the gRPC layer)',
      call: (c) => c.admin.requestSubscription(request({ agencyName: 'Thuế\u0000' })),
      field: 'agency_name',
      reason: 'CONTROL_CHARACTER',
    },
    ...(
      [
        ['ApproveSubscription', (c: Callers, r: object) => c.admin.approveSubscription(r)],
        [
          'SuspendSubscription',
          (c: Callers, r: object) => c.admin.suspendSubscription({ reason: 'r', ...r }),
        ],
        ['ResumeSubscription', (c: Callers, r: object) => c.admin.resumeSubscription({ reason: 'r', ...r })],
        ['RevokeSubscription', (c: Callers, r: object) => c.admin.revokeSubscription({ reason: 'r', ...r })],
        ['GetSubscription', (c: Callers, r: object) => c.admin.getSubscription(r)],
        [
          'ChangeSubscription',
          (c: Callers, r: object) => c.admin.changeSubscription({ terms: TERMS, reason: 'r', ...r }),
        ],
      ] as const
    ).flatMap(([rpc, send]): Case[] => [
      {
        rpc,
        what: 'no subscription id',
        call: (c) => send(c, { subscriptionId: '' }),
        field: 'subscription_id',
        reason: 'REQUIRED',
      },
      {
        rpc,
        what: 'a subscription id that is not a UUID',
        call: (c) => send(c, { subscriptionId: 'bhxh' }),
        field: 'subscription_id',
        reason: 'INVALID_FORMAT',
      },
      {
        rpc,
        what: 'a subscription id of 100 000 characters',
        call: (c) => send(c, { subscriptionId: LONG }),
        field: 'subscription_id',
        reason: 'INVALID_FORMAT',
      },
      ...(rpc === 'GetSubscription'
        ? []
        : [
            {
              rpc,
              what: 'an expected version of 2⁴⁰',
              call: (c: Callers) => send(c, { subscriptionId: id(), expectedVersion: 2n ** 40n }),
              field: 'expected_version',
              reason: 'OUT_OF_RANGE',
            },
          ]),
    ]),
    ...(
      ['SuspendSubscription', 'ResumeSubscription', 'RevokeSubscription', 'ChangeSubscription'] as const
    ).flatMap((rpc): Case[] => {
      const send = (c: Callers, reason: string) =>
        rpc === 'ChangeSubscription'
          ? c.admin.changeSubscription({ subscriptionId: id(), terms: TERMS, reason })
          : rpc === 'SuspendSubscription'
            ? c.admin.suspendSubscription({ subscriptionId: id(), reason })
            : rpc === 'ResumeSubscription'
              ? c.admin.resumeSubscription({ subscriptionId: id(), reason })
              : c.admin.revokeSubscription({ subscriptionId: id(), reason });
      return [
        { rpc, what: 'no reason', call: (c) => send(c, ''), field: 'reason', reason: 'REQUIRED' },
        {
          rpc,
          what: 'a reason of 100 000 characters',
          call: (c) => send(c, LONG),
          field: 'reason',
          reason: 'TOO_LONG',
        },
      ];
    }),
    {
      rpc: 'ChangeSubscription',
      what: 'terms without fields',
      call: (c) =>
        c.admin.changeSubscription({ subscriptionId: id(), terms: { ...TERMS, fields: [] }, reason: 'r' }),
      field: 'terms.fields',
      reason: 'REQUIRED',
    },
    {
      rpc: 'ApproveSubscription',
      what: 'a UUID of no subscription',
      call: (c) => c.admin.approveSubscription({ subscriptionId: randomUUID() }),
      field: '',
      code: status.NOT_FOUND,
    },
    {
      rpc: 'ApproveSubscription',
      what: 'an approved subscription without a pending change (the state decides)',
      call: (c) => c.admin.approveSubscription({ subscriptionId: id() }),
      field: '',
      code: status.FAILED_PRECONDITION,
    },
    {
      rpc: 'ListSubscriptions',
      what: 'an agency code in upper case',
      call: (c) => c.admin.listSubscriptions({ agency: 'BHXH' }),
      field: 'agency',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ListSubscriptions',
      what: 'an agency code of 100 000 characters',
      call: (c) => c.admin.listSubscriptions({ agency: LONG }),
      field: 'agency',
      reason: 'INVALID_FORMAT',
    },
    // DataProtectionService, OperationsService
    {
      rpc: 'GetDisclosures',
      what: 'no citizen',
      call: (c) => c.reports.getDisclosures({}),
      field: 'citizen',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetDisclosures',
      what: 'a citizen id that is not a UUID',
      call: (c) => c.reports.getDisclosures({ citizen: byId(LONG) }),
      field: 'citizen.citizen_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetDisclosures',
      what: 'a personal id that is not 12 digits',
      call: (c) => c.reports.getDisclosures({ citizen: byNumber('0011900006') }),
      field: 'citizen.personal_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetDisclosures',
      what: 'a UUID of nobody',
      call: (c) => c.reports.getDisclosures({ citizen: byId(randomUUID()) }),
      field: '',
      code: status.NOT_FOUND,
    },
    {
      rpc: 'RebuildProjections',
      what: 'no scope (UNSPECIFIED)',
      call: (c) => c.operations.rebuildProjections({}),
      field: 'scope',
      reason: 'REQUIRED',
    },
    {
      rpc: 'RebuildProjections',
      what: 'a scope the contract does not define',
      call: (c) => c.operations.rebuildProjections({ scope: 9 as datasharing.RebuildScope }),
      field: 'scope',
      reason: 'INVALID_VALUE',
    },
  ];

  it('covers every RPC of the four services', () => {
    const covered = new Set([...cases.map((c) => c.rpc), ...NO_FIELDS]);
    for (const service of [
      datasharing.AgencyQueryService,
      datasharing.SubscriptionService,
      datasharing.DataProtectionService,
      datasharing.OperationsService,
    ])
      for (const method of service.methods)
        assert.ok(covered.has(method.name), `no malformed request for ${method.name}`);
  });

  it(`answers each of ${cases.length} malformed requests with a client error naming the field, writing nothing`, async () => {
    await h.settled();
    const failures = await malformedRequestFailures(cases, callers, () => tableSnapshot(h.running.db));
    assert.deepEqual(failures, []);
  });

  it('verifies a name exactly, loosely only under a subscription approved for it, and audits which', async () => {
    const verify = (agency: AgencyClient, purpose: string, fullName: string) =>
      agency.verifyIdentity({ purpose, personalId: HUONG, claimed: { fullName } }).then((r) => r.match);
    const bhxh = callers.agency;
    const exact = {
      'Huỳnh Bảo Hương': true,
      '  Huỳnh   Bảo\tHương ': true,
      ['Huỳnh Bảo Hương'.normalize('NFD')]: true,
      'HUYNH BAO HUONG': false,
      'huỳnh bảo hương': false,
      'Huynh Bao Huong': false,
      'Huỳnh Bảo Hưong': false,
    };
    for (const [name, match] of Object.entries(exact))
      assert.equal(await verify(bhxh, PURPOSE, name), match, `exact: ${JSON.stringify(name)}`);
    const current = (await h.approver.getSubscription({ subscriptionId })).subscription!;
    assert.equal(current.terms?.nameMatching, datasharing.NameMatching.EXACT);

    // Loose matching widens the terms: proposed by one administrator, approved by another.
    const proposed = await h.requester.changeSubscription({
      subscriptionId,
      terms: { ...TERMS, nameMatching: datasharing.NameMatching.LOOSE },
      reason: 'names typed without diacritics at the counters',
    });
    assert.equal(proposed.needsApproval, true);
    assert.equal(proposed.subscription?.terms?.nameMatching, datasharing.NameMatching.EXACT);
    assert.equal(proposed.subscription?.pendingChange?.terms?.nameMatching, datasharing.NameMatching.LOOSE);
    assert.equal(await verify(bhxh, PURPOSE, 'HUYNH BAO HUONG'), false, 'not before the approval');
    await assert.rejects(
      h.requester.approveSubscription({ subscriptionId }),
      (e) => readErrorDetails(e)?.errorInfo?.reason === 'SAME_APPROVER',
    );
    const approved = await h.approver.approveSubscription({ subscriptionId });
    assert.equal(approved.subscription?.terms?.nameMatching, datasharing.NameMatching.LOOSE);
    await h.settled();
    for (const [name, match] of Object.entries({
      'HUYNH BAO HUONG': true,
      'huynh bao huong': true,
      'Huỳnh Bảo Hương': true,
      'Huỳnh Bảo Hưng': false,
    }))
      assert.equal(await verify(bhxh, PURPOSE, name), match, `loose: ${name}`);

    // Another agency's subscription, without the option, still compares exactly.
    await h.subscribe(request());
    const thue = await h.agency('thue');
    assert.equal(await verify(thue, 'tax-collection', 'HUYNH BAO HUONG'), false);
    assert.equal(await verify(thue, 'tax-collection', 'Huỳnh Bảo Hương'), true);

    // The audit log says which comparison each name met; a claim without a name says none.
    await bhxh.verifyIdentity({ purpose: PURPOSE, personalId: HUONG, claimed: { birthDate: '1992-08-09' } });
    const verifications = (await h.running.audit.forSubject(huong)).filter(
      (e) => e.action === 'identity.verify',
    );
    const matching = (actor: string) =>
      verifications.filter((e) => e.actor === actor).map((e) => e.detail?.['nameMatching'] ?? 'none');
    assert.deepEqual(matching('agency:bhxh'), [
      ...Object.keys(exact).map(() => 'exact'),
      'exact',
      ...['loose', 'loose', 'loose', 'loose'],
      'none',
    ]);
    assert.deepEqual(matching('agency:thue'), ['exact', 'exact']);
    const loose = verifications.filter((e) => e.detail?.['nameMatching'] === 'loose');
    assert.deepEqual(
      loose.map((e) => e.detail?.['match']),
      [true, true, true, false],
    );

    // Back to exact: a narrowing, in force at once.
    const narrowed = await h.requester.changeSubscription({
      subscriptionId,
      terms: { ...TERMS, nameMatching: datasharing.NameMatching.EXACT },
      reason: 'the counters type diacritics again',
    });
    assert.equal(narrowed.needsApproval, false);
    assert.equal(narrowed.subscription?.terms?.nameMatching, datasharing.NameMatching.EXACT);
    await h.settled();
    assert.equal(await verify(bhxh, PURPOSE, 'HUYNH BAO HUONG'), false);
  });
});
