/**
 * Issue 18, "every bad request gets a client error": every RPC of EnrollmentService and
 * PersonalisationDataService, called with valid credentials and a malformed request — ids that
 * are not UUIDs, text over its bound, enums out of range or left UNSPECIFIED, numbers out of
 * range, foreign or made-up page tokens, broken upload streams — answers INVALID_ARGUMENT naming
 * the field and the rule (never INTERNAL or UNKNOWN), and writes nothing: every table of the
 * service's database is the same, row for row, before and after each call.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  malformedRequestFailures,
  tableSnapshot,
  type MalformedCase,
} from '@cancuoc/grpc/malformed-requests';
import { closeClient, createClient, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import {
  type AdjudicationDecision,
  ApplicationReason,
  ApplicationStage,
  EnrollmentService,
  FingerExceptionReason,
  FingerPosition,
  FingerprintFormat,
  PersonalisationDataService,
  RegistryService,
  type RejectionReason,
  type CaptureFaceRequestSchema,
  type CaptureFingerprintsRequestSchema,
} from '@cancuoc/proto';
import { jpegImage } from '@cancuoc/synthetic';
import { createTestDatabase, type TestDatabase } from '@cancuoc/testing';
import { startEnrollment, type RunningEnrollment } from './app.js';
import { encodePageToken } from '@cancuoc/identity';
import { asAdministrator, asClerk, asService, asSupervisor, atStation } from './test-support/callers.js';
import { testConfig } from './test-support/config.js';
import { faceUpload, registerCitizen, sha256 } from './test-support/flow.js';
import { startRegistryProcess, type RegistryProcess } from './test-support/registry-process.js';

const STATION = 'mf-01';
const LONG = 'x'.repeat(100_000);
const HUGE_VERSION = 2n ** 40n;

type Face = MessageInitShape<typeof CaptureFaceRequestSchema>;
type Prints = MessageInitShape<typeof CaptureFingerprintsRequestSchema>;

interface Callers {
  readonly operator: GrpcClient<typeof EnrollmentService>;
  readonly supervisor: GrpcClient<typeof EnrollmentService>;
  readonly admin: GrpcClient<typeof EnrollmentService>;
  readonly cardProduction: GrpcClient<typeof PersonalisationDataService>;
}

/** One malformed request: the call, and the field and reason of the violation expected. */
type Case = MalformedCase<Callers>;

const header = (applicationId: string, size: bigint, sha: string, expectedVersion?: bigint): Face => ({
  part: { case: 'header', value: { applicationId, size, sha256: sha, expectedVersion } },
});
const chunk = (bytes: Uint8Array): Face => ({ part: { case: 'chunk', value: bytes } });
const printsHeader = (
  applicationId: string,
  value: { format?: FingerprintFormat; exceptions?: { finger: number; reason: number }[] } = {},
  bytes = new Uint8Array(10),
): Prints => ({
  part: {
    case: 'header',
    value: {
      upload: { applicationId, size: BigInt(bytes.length), sha256: sha256(bytes) },
      format: value.format ?? FingerprintFormat.ISO_19794_2,
      exceptions: value.exceptions ?? [],
    },
  },
});

describe('malformed requests to enrollment: a client error, and nothing written', () => {
  let registryProcess: RegistryProcess;
  let database: TestDatabase;
  let running: RunningEnrollment;
  let callers: Callers;
  /** An application at the station, capturing: the malformed requests name a real one. */
  let applicationId = '';
  let other = '';

  before(async () => {
    registryProcess = await startRegistryProcess();
    database = await createTestDatabase('enrollment_malformed');
    const { issuer } = registryProcess;
    running = await startEnrollment(
      testConfig({
        databaseUrl: database.url,
        auth: { mode: 'issuer', issuer },
        registryAddress: registryProcess.address,
      }),
      { migrate: true },
    );
    const address = running.grpc.address;
    const client = <S extends typeof EnrollmentService | typeof PersonalisationDataService>(
      service: S,
      metadata: () => Promise<Record<string, string>>,
    ) => createClient(service, address, { metadata, defaultTimeoutMs: 20_000 });
    callers = {
      operator: client(EnrollmentService, () => atStation(issuer, 'mf-001', STATION)),
      supervisor: client(EnrollmentService, () => asSupervisor(issuer, 'mf-100')),
      admin: client(EnrollmentService, () => asAdministrator(issuer, 'mf-900')),
      cardProduction: client(PersonalisationDataService, () => asService(issuer, 'card-production')),
    };
    const registry = createClient(RegistryService, registryProcess.address, {
      metadata: () => asClerk(issuer),
      defaultTimeoutMs: 20_000,
    });
    try {
      await registerCitizen(registry, '001190000801');
      await registerCitizen(registry, '001190000802');
    } finally {
      closeClient(registry);
    }
    const start = async (personalId: string) =>
      (await callers.operator.startApplication({ personalId, reason: ApplicationReason.FIRST_ISSUE }))
        .application!.application!.applicationId;
    applicationId = await start('001190000801');
    other = await start('001190000802');
  });

  after(async () => {
    for (const c of Object.values(callers ?? {})) closeClient(c);
    await running?.stop();
    await registryProcess?.close();
    await database?.drop();
  });

  const id = () => applicationId;
  const cases: Case[] = [
    // StartApplication
    ...[
      ['an empty personal id', { personalId: '' }],
      ['a personal id of 100 000 characters', { personalId: LONG }],
      ['a personal id with a wrong check', { personalId: '001190000' }],
    ].map(([what, req]): Case => ({
      rpc: 'StartApplication',
      what: what as string,
      call: (c) => c.operator.startApplication({ reason: ApplicationReason.FIRST_ISSUE, ...(req as object) }),
      field: 'personal_id',
    })),
    {
      rpc: 'StartApplication',
      what: 'no reason (UNSPECIFIED)',
      call: (c) => c.operator.startApplication({ personalId: '001190000803' }),
      field: 'reason',
      reason: 'REQUIRED',
    },
    {
      rpc: 'StartApplication',
      what: 'a reason the contract does not define',
      call: (c) =>
        c.operator.startApplication({ personalId: '001190000803', reason: 77 as ApplicationReason }),
      field: 'reason',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'StartApplication',
      what: 'priority 10',
      call: (c) =>
        c.operator.startApplication({
          personalId: '001190000803',
          reason: ApplicationReason.FIRST_ISSUE,
          priority: 10,
        }),
      field: 'priority',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'StartApplication',
      what: 'priority 2³²−1',
      call: (c) =>
        c.operator.startApplication({
          personalId: '001190000803',
          reason: ApplicationReason.FIRST_ISSUE,
          priority: 4_294_967_295,
        }),
      field: 'priority',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'StartApplication',
      what: 'a replaced card id that is not a UUID',
      call: (c) =>
        c.operator.startApplication({
          personalId: '001190000803',
          reason: ApplicationReason.RENEWAL,
          replacesCardId: "card'; DROP TABLE enr_cards; --",
        }),
      field: 'replaces_card_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'StartApplication',
      what: 'an idempotency key of 300 characters',
      call: (c) =>
        c.operator.startApplication(
          { personalId: '001190000803', reason: ApplicationReason.FIRST_ISSUE },
          { idempotencyKey: 'k'.repeat(300) },
        ),
      field: 'idempotency-key',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'StartApplication',
      what: 'a NUL in the personal id (the gRPC layer)',
      call: (c) =>
        c.operator.startApplication({
          personalId: '0011900\u00000803',
          reason: ApplicationReason.FIRST_ISSUE,
        }),
      field: 'personal_id',
      reason: 'CONTROL_CHARACTER',
    },
    // CaptureFace
    {
      rpc: 'CaptureFace',
      what: 'an empty stream',
      call: (c) => c.operator.captureFace([]),
      field: 'header',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFace',
      what: 'a chunk before the header',
      call: (c) =>
        c.operator.captureFace([chunk(new Uint8Array(4)), header(id(), 4n, sha256(new Uint8Array(4)))]),
      field: 'header',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFace',
      what: 'an application id that is not a UUID',
      call: (c) => c.operator.captureFace(faceUpload('app-1', new Uint8Array(4))),
      field: 'header.application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CaptureFace',
      what: 'an application id in upper case',
      call: (c) => c.operator.captureFace(faceUpload(id().toUpperCase(), new Uint8Array(4))),
      field: 'header.application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CaptureFace',
      what: 'no application id',
      call: (c) => c.operator.captureFace(faceUpload('', new Uint8Array(4))),
      field: 'header.application_id',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFace',
      what: 'a SHA-256 that is not 64 hex digits',
      call: (c) => c.operator.captureFace([header(id(), 4n, 'beef'), chunk(new Uint8Array(4))]),
      field: 'header.sha256',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CaptureFace',
      what: 'size 0',
      call: (c) => c.operator.captureFace([header(id(), 0n, sha256(new Uint8Array(0)))]),
      field: 'header.size',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'CaptureFace',
      what: 'size 2⁶⁴−1',
      call: (c) => c.operator.captureFace([header(id(), 2n ** 64n - 1n, sha256(new Uint8Array(4)))]),
      field: 'header.size',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'CaptureFace',
      what: 'an expected version of 2⁴⁰',
      call: (c) =>
        c.operator.captureFace([
          header(id(), 4n, sha256(new Uint8Array(4)), HUGE_VERSION),
          chunk(new Uint8Array(4)),
        ]),
      field: 'header.expected_version',
      reason: 'OUT_OF_RANGE',
    },
    {
      rpc: 'CaptureFace',
      what: 'two headers',
      call: (c) => {
        const [h] = faceUpload(id(), new Uint8Array(4));
        return c.operator.captureFace([h!, h!, chunk(new Uint8Array(4))]);
      },
      field: 'header',
      reason: 'REPEATED',
    },
    {
      rpc: 'CaptureFace',
      what: 'a message that is neither header nor chunk',
      call: (c) => {
        const [h, ...rest] = faceUpload(id(), new Uint8Array(4));
        return c.operator.captureFace([h!, { part: { case: undefined } }, ...rest]);
      },
      field: 'part',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFace',
      what: 'an empty chunk',
      call: (c) => {
        const [h, ...rest] = faceUpload(id(), new Uint8Array(4));
        return c.operator.captureFace([h!, chunk(new Uint8Array(0)), ...rest]);
      },
      field: 'chunk',
      reason: 'EMPTY',
    },
    {
      rpc: 'CaptureFace',
      what: 'a chunk over 1 MiB',
      call: (c) => {
        const big = new Uint8Array(1024 * 1024 + 1);
        return c.operator.captureFace([header(id(), BigInt(big.length), sha256(big)), chunk(big)]);
      },
      field: 'chunk',
      reason: 'TOO_LARGE',
    },
    {
      rpc: 'CaptureFace',
      what: 'more bytes than announced',
      call: (c) =>
        c.operator.captureFace([header(id(), 4n, sha256(new Uint8Array(4))), chunk(new Uint8Array(8))]),
      field: 'chunk',
      reason: 'SIZE_MISMATCH',
    },
    {
      rpc: 'CaptureFace',
      what: 'fewer bytes than announced',
      call: (c) =>
        c.operator.captureFace([header(id(), 8n, sha256(new Uint8Array(8))), chunk(new Uint8Array(4))]),
      field: 'chunk',
      reason: 'SIZE_MISMATCH',
    },
    {
      rpc: 'CaptureFace',
      what: 'bytes that are not an image',
      call: (c) => c.operator.captureFace(faceUpload(id(), new TextEncoder().encode('not an image at all'))),
      field: 'image',
      reason: 'FACE_UNREADABLE',
    },
    {
      rpc: 'CaptureFace',
      what: 'a well-formed upload for an application that does not exist',
      call: (c) => c.operator.captureFace(faceUpload(randomUUID(), jpegImage(480, 640))),
      field: '',
      code: status.NOT_FOUND,
    },
    // CaptureFingerprints
    {
      rpc: 'CaptureFingerprints',
      what: 'an empty stream',
      call: (c) => c.operator.captureFingerprints([]),
      field: 'header',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'a header without the upload',
      call: (c) =>
        c.operator.captureFingerprints([
          { part: { case: 'header', value: { format: FingerprintFormat.ISO_19794_2 } } },
        ]),
      field: 'header.upload',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'an application id that is not a UUID',
      call: (c) => c.operator.captureFingerprints([printsHeader(LONG)]),
      field: 'header.upload.application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'no format (UNSPECIFIED)',
      call: (c) =>
        c.operator.captureFingerprints([printsHeader(id(), { format: FingerprintFormat.UNSPECIFIED })]),
      field: 'header.format',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'a format the contract does not define',
      call: (c) => c.operator.captureFingerprints([printsHeader(id(), { format: 9 as FingerprintFormat })]),
      field: 'header.format',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'eleven exceptions',
      call: (c) =>
        c.operator.captureFingerprints([
          printsHeader(id(), {
            exceptions: Array.from({ length: 11 }, () => ({
              finger: FingerPosition.RIGHT_THUMB,
              reason: FingerExceptionReason.MISSING,
            })),
          }),
        ]),
      field: 'header.exceptions',
      reason: 'TOO_MANY',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'an exception without a finger',
      call: (c) =>
        c.operator.captureFingerprints([
          printsHeader(id(), { exceptions: [{ finger: 0, reason: FingerExceptionReason.MISSING }] }),
        ]),
      field: 'header.exceptions[0].finger',
      reason: 'REQUIRED',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'finger 42',
      call: (c) =>
        c.operator.captureFingerprints([
          printsHeader(id(), { exceptions: [{ finger: 42, reason: FingerExceptionReason.MISSING }] }),
        ]),
      field: 'header.exceptions[0].finger',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'an exception reason the contract does not define',
      call: (c) =>
        c.operator.captureFingerprints([
          printsHeader(id(), { exceptions: [{ finger: FingerPosition.LEFT_THUMB, reason: 8 }] }),
        ]),
      field: 'header.exceptions[0].reason',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'CaptureFingerprints',
      what: 'bytes that are not a minutiae record',
      call: (c) => {
        const bytes = new TextEncoder().encode('FMR but not really a record');
        return c.operator.captureFingerprints([
          printsHeader(id(), {}, bytes),
          { part: { case: 'chunk', value: bytes } },
        ]);
      },
      field: 'record',
      reason: 'MALFORMED_RECORD',
    },
    // The commands on one application
    ...(
      [
        ['SubmitForReview', (c: Callers, req: object) => c.operator.submitForReview(req)],
        ['ApproveApplication', (c: Callers, req: object) => c.supervisor.approveApplication(req)],
        ['CancelApplication', (c: Callers, req: object) => c.operator.cancelApplication(req)],
        ['GetApplication', (c: Callers, req: object) => c.supervisor.getApplication(req)],
      ] as const
    ).flatMap(([rpc, send]): Case[] => [
      {
        rpc,
        what: 'no application id',
        call: (c) => send(c, { applicationId: '' }),
        field: 'application_id',
        reason: 'REQUIRED',
      },
      {
        rpc,
        what: 'an application id that is not a UUID',
        call: (c) => send(c, { applicationId: "1' OR '1'='1" }),
        field: 'application_id',
        reason: 'INVALID_FORMAT',
      },
      {
        rpc,
        what: 'an application id of 100 000 characters',
        call: (c) => send(c, { applicationId: LONG }),
        field: 'application_id',
        reason: 'INVALID_FORMAT',
      },
      ...(rpc === 'GetApplication'
        ? []
        : [
            {
              rpc,
              what: 'an expected version of 2⁴⁰',
              call: (c: Callers) => send(c, { applicationId: id(), expectedVersion: HUGE_VERSION }),
              field: 'expected_version',
              reason: 'OUT_OF_RANGE',
            },
          ]),
    ]),
    {
      rpc: 'CancelApplication',
      what: 'a note of 501 characters',
      call: (c) => c.operator.cancelApplication({ applicationId: id(), note: 'n'.repeat(501) }),
      field: 'note',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'RejectApplication',
      what: 'an application id that is not a UUID',
      call: (c) => c.supervisor.rejectApplication({ applicationId: 'nope', reason: 1 }),
      field: 'application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'RejectApplication',
      what: 'no reason (UNSPECIFIED)',
      call: (c) => c.supervisor.rejectApplication({ applicationId: id() }),
      field: 'reason',
      reason: 'REQUIRED',
    },
    {
      rpc: 'RejectApplication',
      what: 'a reason the contract does not define',
      call: (c) => c.supervisor.rejectApplication({ applicationId: id(), reason: 99 as RejectionReason }),
      field: 'reason',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'RejectApplication',
      what: 'a note of 100 000 characters',
      call: (c) => c.supervisor.rejectApplication({ applicationId: id(), reason: 4, note: LONG }),
      field: 'note',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'AdjudicateApplication',
      what: 'an application id that is not a UUID',
      call: (c) => c.supervisor.adjudicateApplication({ applicationId: 'x', decision: 1 }),
      field: 'application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'AdjudicateApplication',
      what: 'no decision (UNSPECIFIED)',
      call: (c) => c.supervisor.adjudicateApplication({ applicationId: id() }),
      field: 'decision',
      reason: 'REQUIRED',
    },
    {
      rpc: 'AdjudicateApplication',
      what: 'a decision the contract does not define',
      call: (c) =>
        c.supervisor.adjudicateApplication({ applicationId: id(), decision: 3 as AdjudicationDecision }),
      field: 'decision',
      reason: 'INVALID_VALUE',
    },
    {
      rpc: 'AdjudicateApplication',
      what: 'a note of 501 characters',
      call: (c) =>
        c.supervisor.adjudicateApplication({ applicationId: id(), decision: 1, note: 'n'.repeat(501) }),
      field: 'note',
      reason: 'TOO_LONG',
    },
    {
      rpc: 'ApproveApplication',
      what: 'an application that is not in review (the state decides)',
      call: (c) => c.supervisor.approveApplication({ applicationId: id() }),
      field: '',
      code: status.FAILED_PRECONDITION,
    },
    {
      rpc: 'GetApplication',
      what: 'a UUID no application has',
      call: (c) => c.supervisor.getApplication({ applicationId: randomUUID() }),
      field: '',
      code: status.NOT_FOUND,
    },
    // ListApplications
    {
      rpc: 'ListApplications',
      what: 'a supervisor naming no station',
      call: (c) => c.supervisor.listApplications({}),
      field: 'station_id',
      reason: 'REQUIRED',
    },
    {
      rpc: 'ListApplications',
      what: 'a station id that is not one',
      call: (c) => c.supervisor.listApplications({ stationId: 'Hà Nội 01' }),
      field: 'station_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ListApplications',
      what: 'a station id of 100 000 characters',
      call: (c) => c.supervisor.listApplications({ stationId: LONG }),
      field: 'station_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'ListApplications',
      what: 'a stage the contract does not define',
      call: (c) => c.supervisor.listApplications({ stationId: STATION, stage: 42 as ApplicationStage }),
      field: 'stage',
      reason: 'INVALID_VALUE',
    },
    ...(
      [
        ['characters outside base64url', '!!not a token!!'],
        ['base64url of nothing JSON', Buffer.from('garbage').toString('base64url')],
        ['a JSON array', Buffer.from('["2026-01-01T00:00:00.000Z","x"]').toString('base64url')],
        [
          'the old token format',
          Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', randomUUID()])).toString('base64url'),
        ],
        ['4 kB of base64url', 'A'.repeat(4096)],
        [
          'a token of another station',
          encodePageToken('applications', ['hn-99', null], ['2026-01-01T00:00:00.000Z', randomUUID()]),
        ],
        [
          'a token of another list',
          encodePageToken('cards', [STATION, null], ['2026-01-01T00:00:00.000Z', randomUUID()]),
        ],
        [
          'a token whose instant is no date',
          encodePageToken('applications', [STATION, null], ['2026-13-45T99:00:00.000Z', randomUUID()]),
        ],
        [
          'a token whose id is no UUID',
          encodePageToken('applications', [STATION, null], ['2026-01-01T00:00:00.000Z', "x'::uuid"]),
        ],
      ] as const
    ).map(([what, pageToken]): Case => ({
      rpc: 'ListApplications',
      what: `a page token: ${what}`,
      call: (c) => c.supervisor.listApplications({ stationId: STATION, pageToken }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    })),
    {
      rpc: 'ListApplications',
      what: "an operator's made-up page token",
      call: (c) => c.operator.listApplications({ pageToken: 'eyJ2IjoxfQ' }),
      field: 'page_token',
      reason: 'INVALID_PAGE_TOKEN',
    },
    // ListStuckApplications
    {
      rpc: 'ListStuckApplications',
      what: 'a station id that is not one',
      call: (c) => c.supervisor.listStuckApplications({ stationId: "'; SELECT 1; --" }),
      field: 'station_id',
      reason: 'INVALID_FORMAT',
    },
    // EraseCitizenBiometrics
    {
      rpc: 'EraseCitizenBiometrics',
      what: 'a citizen id that is not a UUID',
      call: (c) =>
        c.admin.eraseCitizenBiometrics({ citizenId: '001190000801', legalBasis: 'Decision 12/2026' }),
      field: 'citizen_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'EraseCitizenBiometrics',
      what: 'no legal basis',
      call: (c) => c.admin.eraseCitizenBiometrics({ citizenId: randomUUID(), legalBasis: '   ' }),
      field: 'legal_basis',
      reason: 'REQUIRED',
    },
    {
      rpc: 'EraseCitizenBiometrics',
      what: 'a legal basis of 201 characters',
      call: (c) => c.admin.eraseCitizenBiometrics({ citizenId: randomUUID(), legalBasis: 'l'.repeat(201) }),
      field: 'legal_basis',
      reason: 'TOO_LONG',
    },
    // PersonalisationDataService.GetPortrait
    {
      rpc: 'GetPortrait',
      what: 'no application id',
      call: (c) => c.cardProduction.getPortrait({ reference: randomUUID() }),
      field: 'application_id',
      reason: 'REQUIRED',
    },
    {
      rpc: 'GetPortrait',
      what: 'an application id that is not a UUID',
      call: (c) => c.cardProduction.getPortrait({ applicationId: 'app-1', reference: randomUUID() }),
      field: 'application_id',
      reason: 'INVALID_FORMAT',
    },
    {
      rpc: 'GetPortrait',
      what: 'a reference that is not a UUID',
      call: (c) => c.cardProduction.getPortrait({ applicationId: id(), reference: LONG }),
      field: 'reference',
      reason: 'INVALID_FORMAT',
    },
  ];

  it('covers every RPC of both services', () => {
    const covered = new Set(cases.map((c) => c.rpc));
    for (const method of [...EnrollmentService.methods, ...PersonalisationDataService.methods])
      assert.ok(covered.has(method.name), `no malformed request for ${method.name}`);
  });

  it(`answers each of ${cases.length} malformed requests with a client error naming the field, writing nothing`, async () => {
    const failures = await malformedRequestFailures(cases, callers, () => tableSnapshot(running.db));
    assert.deepEqual(failures, []);
  });

  it('pages with its own tokens, and refuses a token of the same station under another stage', async () => {
    const first = await callers.supervisor.listApplications({ stationId: STATION, pageSize: 1 });
    assert.equal(first.applications.length, 1);
    assert.notEqual(first.nextPageToken, '');
    const second = await callers.supervisor.listApplications({
      stationId: STATION,
      pageSize: 1,
      pageToken: first.nextPageToken,
    });
    assert.deepEqual(
      [first.applications[0]!.applicationId, second.applications[0]!.applicationId].sort(),
      [applicationId, other].sort(),
    );
    assert.equal(second.nextPageToken, '');
    const details = await callers.supervisor
      .listApplications({
        stationId: STATION,
        stage: ApplicationStage.CAPTURING,
        pageToken: first.nextPageToken,
      })
      .then(
        () => undefined,
        (e: unknown) => readErrorDetails(e),
      );
    assert.equal(details?.code, status.INVALID_ARGUMENT);
    assert.equal(details?.badRequest?.fieldViolations[0]?.reason, 'INVALID_PAGE_TOKEN');
    const operatorPage = await callers.operator.listApplications({ pageSize: 1 });
    const operatorNext = await callers.operator.listApplications({
      pageSize: 1,
      pageToken: operatorPage.nextPageToken,
    });
    assert.equal(operatorNext.applications.length, 1, "an operator's token pages its own station's list");
  });
});
