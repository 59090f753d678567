import { refuseOutsideLimit, type Authorized, type ServiceAuth } from '@cancuoc/auth';
import { defineService, invalidArgument, type CallContext, type ServiceRegistration } from '@cancuoc/grpc';
import {
  CardStatus,
  RegistryService,
  ResidenceStatus,
  type Sex,
  VerificationOutcome,
  type Address,
  type CitizenRef as CitizenRefMessage,
  type RegistrationFacts as FactsMessage,
} from '@cancuoc/proto';
import { unitName, type ResidenceToday } from '../../application/current-unit.js';
import { Jurisdiction, JurisdictionRefusedError } from '../../application/jurisdiction.js';
import type {
  Access,
  Caller,
  CitizenRef,
  CommandContext,
  RecordCommand,
  RecodingScope,
  Registry,
  RegistrationFacts,
} from '../../application/registry.js';
import type { AddressData } from '../../domain/citizen/events.js';
import { citizenMessage, MARITAL_FROM_PROTO, SEX_FROM_PROTO } from '../citizen-proto.js';
import { toRpcError, type FieldPath } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Idempotency keys: printable ASCII, at most 200 characters (a UUID, a ULID, a client's own scheme). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const snakeCase = (path: string) => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Where a registration's fields lie in its request: under `facts.`, except the number (the request's
 * own `personal_id`) and the province a number must agree with (the birth place's).
 */
const REGISTRATION_FIELDS: FieldPath = (field) =>
  field === 'personalId'
    ? 'personal_id'
    : field === 'birthRegistrationProvinceCode'
      ? 'facts.birth_place.province_code'
      : `facts.${snakeCase(field)}`;

const address = (a: Address | undefined): Partial<AddressData> | undefined =>
  a ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail } : undefined;
const orNull = (id: string) => (id === '' ? null : id);

function facts(f: FactsMessage | undefined): RegistrationFacts {
  return {
    name: {
      familyName: f?.name?.familyName ?? '',
      middleName: f?.name?.middleName ?? '',
      givenName: f?.name?.givenName ?? '',
    },
    birthDate: f?.birthDate ?? '',
    sex: f ? SEX_FROM_PROTO[f.sex] : undefined,
    nationality: f?.nationality ?? '',
    ethnicity: f?.ethnicity ?? '',
    religion: f?.religion ?? '',
    birthPlace: address(f?.birthPlace),
    homeTown: address(f?.homeTown),
    permanentResidence: address(f?.permanentResidence),
    fatherCitizenId: orNull(f?.fatherCitizenId ?? ''),
    motherCitizenId: orNull(f?.motherCitizenId ?? ''),
  };
}

function ref(r: CitizenRefMessage | undefined): CitizenRef {
  if (!r?.personalId) {
    throw invalidArgument([
      {
        field: 'citizen.personal_id',
        reason: 'REQUIRED',
        description: 'name the citizen by personal id number',
      },
    ]);
  }
  if (r.expectedVersion !== undefined && r.expectedVersion > BigInt(Number.MAX_SAFE_INTEGER)) {
    // A uint64 the caller sent as -1 arrives as 2^64 - 1: no record reaches such a version.
    throw invalidArgument([
      {
        field: 'citizen.expected_version',
        reason: 'OUT_OF_RANGE',
        description: 'a record version is a whole number from 0 to 2^53 - 1',
      },
    ]);
  }
  return {
    personalId: r.personalId,
    expectedVersion: r.expectedVersion === undefined ? undefined : Number(r.expectedVersion),
  };
}

/**
 * Who calls: the token's subject, and the jurisdiction the grant the policy allowed them under
 * limits them to (the use cases check it; no handler looks at roles).
 */
function caller(call: CallContext<Authorized>): Caller {
  return { actor: call.principal.actor, jurisdiction: Jurisdiction.of(call.principal) };
}

function context(call: CallContext<Authorized>): CommandContext {
  const first = (name: string) => {
    const value = call.metadata.get(name)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const correlationId = first('x-correlation-id');
  const idempotencyKey = first('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw invalidArgument([
      {
        field: 'idempotency-key',
        reason: 'INVALID_FORMAT',
        description: 'an idempotency key is 1 to 200 printable ASCII characters',
      },
    ]);
  }
  return {
    ...caller(call),
    idempotencyKey,
    correlationId: correlationId && UUID.test(correlationId) ? correlationId : undefined,
    // No traceparent from the request's headers: the server span continues the caller's trace
    // (libs/grpc) and the append records its own span, a child of it; the header (the caller's
    // client span, unchecked) would make consumers skip both.
  };
}

/** Who reads and why: the purpose is required, since every read of personal data is audited with it. */
function access(call: CallContext<Authorized>, purpose: string): Access {
  const stated = purpose.trim();
  if (!stated || stated.length > 200) {
    throw invalidArgument([
      {
        field: 'purpose',
        reason: stated ? 'TOO_LONG' : 'REQUIRED',
        description: 'state why the record is read (at most 200 characters); it is recorded in the audit log',
      },
    ]);
  }
  return { ...caller(call), purpose: stated };
}

/** A residence on today's map, as GetCitizen shows it beside the recorded one. */
function residenceTodayMessage(today: ResidenceToday) {
  switch (today.status) {
    case 'none':
      return undefined;
    case 'resolved':
    case 'recoded':
      return {
        status: today.status === 'resolved' ? ResidenceStatus.RESOLVED : ResidenceStatus.RECODED,
        provinceCode: today.province.code,
        provinceName: today.province.fullName,
        communeCode: today.commune.code,
        communeName: today.commune.fullName,
      };
    case 'needs-recoding':
      return {
        status: ResidenceStatus.NEEDS_RECODING,
        provinceCode: today.province?.code ?? '',
        provinceName: today.province?.fullName ?? '',
        candidates: today.candidates.map(unitName),
      };
  }
}

/**
 * `cancuoc.registry.v1.RegistryService` over the register's use cases. The guard (`authenticate`)
 * has checked the token and the platform policy before a handler runs; a use case refusing a
 * jurisdiction is counted, logged and rate-limited with the guard's own refusals, and answered
 * PERMISSION_DENIED with the reason alone.
 */
export function registryService(
  registry: Registry,
  auth: Pick<ServiceAuth, 'authenticate' | 'refusals'>,
): ServiceRegistration {
  const guarded = async <T>(
    prefix: FieldPath,
    call: CallContext<Authorized>,
    work: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof JurisdictionRefusedError) {
        const rpc = `${call.method.parent.typeName}/${call.method.name}`;
        return refuseOutsideLimit(auth.refusals, rpc, call.principal, error.reason, error.message);
      }
      throw toRpcError(error, prefix);
    }
  };
  const command = async (
    r: CitizenRefMessage | undefined,
    cmd: RecordCommand,
    call: CallContext<Authorized>,
  ) => {
    const result = await guarded('', call, () => registry.execute(ref(r), cmd, context(call)));
    return { result: { citizenId: result.citizenId, recordVersion: BigInt(result.recordVersion) } };
  };
  const registration = (r: { citizenId: string; personalId: string; recordVersion: number }) => ({
    registration: {
      citizenId: r.citizenId,
      personalId: r.personalId,
      recordVersion: BigInt(r.recordVersion),
    },
  });
  return defineService(
    RegistryService,
    { authenticate: auth.authenticate },
    {
      registerBirth: async (req, call) =>
        registration(
          await guarded(REGISTRATION_FIELDS, call, () =>
            registry.registerBirth(facts(req.facts), context(call)),
          ),
        ),
      registerExistingCitizen: async (req, call) =>
        registration(
          await guarded(REGISTRATION_FIELDS, call, () =>
            registry.registerExisting(facts(req.facts), req.personalId, context(call)),
          ),
        ),
      changeName: (req, call) =>
        command(
          req.citizen,
          {
            type: 'ChangeName',
            name: {
              familyName: req.name?.familyName ?? '',
              middleName: req.name?.middleName ?? '',
              givenName: req.name?.givenName ?? '',
            },
            reason: req.reason,
          },
          call,
        ),
      registerPermanentResidence: (req, call) =>
        command(
          req.citizen,
          { type: 'RegisterPermanentResidence', address: address(req.address), since: req.since },
          call,
        ),
      registerTemporaryResidence: (req, call) =>
        command(
          req.citizen,
          {
            type: 'RegisterTemporaryResidence',
            address: address(req.address),
            from: req.from,
            until: req.until === '' ? null : req.until,
          },
          call,
        ),
      endTemporaryResidence: (req, call) =>
        command(req.citizen, { type: 'EndTemporaryResidence', endedOn: req.endedOn }, call),
      recordParents: (req, call) =>
        command(
          req.citizen,
          {
            type: 'RecordParents',
            fatherCitizenId: orNull(req.fatherCitizenId),
            motherCitizenId: orNull(req.motherCitizenId),
          },
          call,
        ),
      changeMaritalStatus: (req, call) =>
        command(
          req.citizen,
          {
            type: 'ChangeMaritalStatus',
            status: MARITAL_FROM_PROTO[req.status],
            spouseCitizenId: orNull(req.spouseCitizenId),
            since: req.since,
          },
          call,
        ),
      recordDeath: (req, call) =>
        command(
          req.citizen,
          { type: 'RecordDeath', dateOfDeath: req.dateOfDeath, certificateRef: req.certificateRef },
          call,
        ),
      correctField: (req, call) => {
        const v = req.value;
        const value =
          v.case === 'name'
            ? { familyName: v.value.familyName, middleName: v.value.middleName, givenName: v.value.givenName }
            : v.case === 'address'
              ? address(v.value)
              : v.case === 'sex'
                ? SEX_FROM_PROTO[v.value as Sex]
                : v.value;
        return command(
          req.citizen,
          {
            type: 'CorrectField',
            field: req.field as Extract<RecordCommand, { type: 'CorrectField' }>['field'],
            value,
            reason: req.reason,
            evidenceRef: req.evidenceRef,
          },
          call,
        );
      },
      recordVerification: (req, call) =>
        command(
          req.citizen,
          {
            type: 'RecordVerification',
            verifiedBy: req.verifiedBy,
            outcome:
              req.outcome === VerificationOutcome.CONFIRMED
                ? 'confirmed'
                : req.outcome === VerificationOutcome.DISCREPANCY
                  ? 'discrepancy'
                  : undefined,
            note: req.note,
          },
          call,
        ),
      getCitizen: async (req, call) => {
        const reader = access(call, req.purpose);
        const view = await guarded('', call, () => registry.getCitizen(req.personalId, reader));
        return {
          citizenId: view.citizenId,
          recordVersion: BigInt(view.version),
          citizen: citizenMessage(view.record),
          deceased: view.deceased,
          openQualityFlags: view.openQualityFlags.map((f) => ({
            kind: f.kind,
            detail: f.detail,
            raisedOn: f.raisedOn,
          })),
          cards: view.cards.map((c) => ({
            cardId: c.cardId,
            documentNumber: c.documentNumber,
            status: CardStatus[c.status as keyof typeof CardStatus] ?? CardStatus.UNSPECIFIED,
            issueDate: c.issueDate ?? '',
            expiryDate: c.expiryDate ?? '',
            changedAt: c.changedAt ?? '',
          })),
          permanentResidenceToday: residenceTodayMessage(view.residenceToday),
        };
      },
      getCitizenHistory: async (req, call) => {
        const reader = access(call, req.purpose);
        const entries = await guarded('', call, () => registry.history(req.personalId, reader));
        return {
          entries: entries.map((e) => ({
            recordVersion: BigInt(e.recordVersion),
            change: e.change,
            recordedAt: e.recordedAt.toISOString(),
            actor: e.actor,
            detailsJson: JSON.stringify(e.details),
          })),
        };
      },
      searchCitizens: async (req, call) => {
        const reader = access(call, req.purpose);
        const c = req.criteria;
        if (c.case === undefined) {
          throw invalidArgument([
            {
              field: 'criteria',
              reason: 'REQUIRED',
              description: 'search by name and birth date, or by commune',
            },
          ]);
        }
        // The criteria, the page size and the token are judged by the use case, before any query.
        const criteria =
          c.case === 'byName'
            ? ({ kind: 'name', fullName: c.value.fullName, birthDate: c.value.birthDate } as const)
            : ({ kind: 'commune', communeCode: c.value.communeCode } as const);
        const page = await guarded('', call, () =>
          registry.search(criteria, req.pageSize, req.pageToken, reader),
        );
        return {
          citizens: page.citizens.map((s) => ({
            citizenId: s.citizenId,
            personalId: s.personalId,
            name: s.name,
            birthDate: s.birthDate,
            communeCode: s.communeCode ?? '',
            deceased: s.deceased,
          })),
          nextPageToken: page.nextPageToken,
        };
      },
      getQualityReport: async (req, call) => {
        // The units (a province and optionally one of its communes, in force today) are judged by
        // the use case, before any query.
        const report = await guarded('', call, () =>
          registry.qualityReport(req.provinceCode, req.communeCode, caller(call)),
        );
        const figures = (q: typeof report.total) => ({
          ...q,
          citizens: BigInt(q.citizens),
          incomplete: BigInt(q.incomplete),
          probableDuplicates: BigInt(q.probableDuplicates),
          stale: BigInt(q.stale),
          discrepancies: BigInt(q.discrepancies),
        });
        return { total: figures(report.total), communes: report.communes.map(figures), asOf: report.asOf };
      },
      listRecodingQueue: async (req, call) => {
        const reader = access(call, req.purpose);
        const s = req.scope;
        if (s.case === undefined) {
          throw invalidArgument([
            {
              field: 'scope',
              reason: 'REQUIRED',
              description: 'list the queue of an old commune, or of a province of today',
            },
          ]);
        }
        // The scope, the page size and the token are judged by the use case, before any query.
        const scope: RecodingScope =
          s.case === 'oldCommuneCode'
            ? { kind: 'commune', communeCode: s.value }
            : { kind: 'province', provinceCode: s.value };
        const page = await guarded('', call, () =>
          registry.recodingQueue(scope, req.pageSize, req.pageToken, reader),
        );
        return {
          entries: page.entries.map((e) => ({
            citizenId: e.citizenId,
            personalId: e.personalId,
            name: e.name,
            recorded: e.recorded,
            since: e.since,
            recordedCommuneName: e.recordedCommuneName,
            reason: e.reason,
            provinceCode: e.provinceCode,
            candidates: e.candidates.map((c) => ({ code: c.code, name: c.name })),
          })),
          nextPageToken: page.nextPageToken,
        };
      },
      recodeResidence: (req, call) =>
        command(req.citizen, { type: 'RecodeResidence', communeCode: req.communeCode }, call),
      getAccessLog: async (req, call) => {
        const reader = access(call, req.purpose);
        const entries = await guarded('', call, () => registry.accessLog(req.personalId, reader));
        return {
          entries: entries.map((e) => ({
            recordedAt: e.recordedAt,
            actor: e.actor,
            action: e.action,
            purpose: e.purpose,
            fields: [...e.fields],
          })),
        };
      },
    },
  );
}
