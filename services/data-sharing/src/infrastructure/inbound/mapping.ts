import type { DescMessage } from '@bufbuild/protobuf';
import { CalendarDate } from '@cancuoc/identity';
import { PoisonRecordError, type CloudEvent } from '@cancuoc/messaging';
import {
  ApplicationStage,
  CardApplicationChangedSchema,
  CardChangedSchema,
  CardStatus,
  CitizenRecordChangedSchema,
  MaritalStatus,
  RevocationReason,
  Sex,
  type Address,
  type BiometricReference,
  type CardApplicationChanged,
  type CardChanged,
  type CitizenRecordChanged,
} from '@cancuoc/proto';
import type { ReceivedEvent } from '../../domain/citizen/events.js';
import type {
  AddressFacts,
  BiometricReferenceFacts,
  CardProductionStatus,
  RecordFacts,
  RevocationReasonFacts,
} from '../../domain/citizen/facts.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Payload types data sharing consumes, by full Protobuf name (the `ce_type`). */
export const INBOUND_TYPES: ReadonlyMap<string, DescMessage> = new Map<string, DescMessage>(
  [CitizenRecordChangedSchema, CardChangedSchema, CardApplicationChangedSchema].map((s) => [s.typeName, s]),
);

const SEX: Record<Sex, RecordFacts['sex']> = {
  [Sex.MALE]: 'male',
  [Sex.FEMALE]: 'female',
  [Sex.UNSPECIFIED]: 'unspecified',
};
const MARITAL: Record<MaritalStatus, RecordFacts['maritalStatus']> = {
  [MaritalStatus.SINGLE]: 'single',
  [MaritalStatus.MARRIED]: 'married',
  [MaritalStatus.DIVORCED]: 'divorced',
  [MaritalStatus.WIDOWED]: 'widowed',
  [MaritalStatus.UNSPECIFIED]: 'unspecified',
};
const CARD_STATUS: Record<CardStatus, CardProductionStatus> = {
  [CardStatus.UNSPECIFIED]: 'unspecified',
  [CardStatus.QUEUED]: 'queued',
  [CardStatus.ENCODING]: 'encoding',
  [CardStatus.ENCODED]: 'encoded',
  [CardStatus.QUALITY_CHECKED]: 'quality-checked',
  [CardStatus.SHIPPED]: 'shipped',
  [CardStatus.DELIVERED]: 'delivered',
  [CardStatus.ACTIVATED]: 'activated',
  [CardStatus.MANUAL_HANDLING]: 'manual-handling',
  [CardStatus.CANCELLED]: 'cancelled',
  [CardStatus.REVOKED]: 'revoked',
};
const REVOCATION: Record<RevocationReason, RevocationReasonFacts> = {
  [RevocationReason.UNSPECIFIED]: 'unspecified',
  [RevocationReason.LOST]: 'lost',
  [RevocationReason.STOLEN]: 'stolen',
  [RevocationReason.SUPERSEDED]: 'superseded',
  [RevocationReason.DAMAGED]: 'damaged',
  [RevocationReason.HOLDER_DECEASED]: 'holder-deceased',
};

/** A record that no retry can make usable: to the dead-letter topic, naming the field, never its value. */
function refuse(what: string): never {
  throw new PoisonRecordError(`unusable ${what}`);
}

/** A record id: a UUID, never the nil one (back-fills page from below it). */
function citizenId(value: string, what: string): string {
  if (!UUID.test(value) || /^[0-]+$/.test(value)) refuse(`${what} (not a record id)`);
  return value;
}

function date(value: string, what: string): string {
  try {
    return CalendarDate.parse(value).toString();
  } catch {
    return refuse(what);
  }
}

const optionalDate = (value: string, what: string) => (value === '' ? null : date(value, what));
const optionalId = (value: string, what: string) => (value === '' ? null : citizenId(value, what));
const address = (a: Address | undefined): AddressFacts | null =>
  a ? { provinceCode: a.provinceCode, communeCode: a.communeCode, detail: a.detail } : null;

function fromRecord(event: CitizenRecordChanged): { citizenId: string; event: ReceivedEvent } {
  const c = event.citizen ?? refuse('record (no citizen)');
  const record: RecordFacts = {
    personalId: c.personalId,
    name: { familyName: c.familyName, middleName: c.middleName, givenName: c.givenName },
    birthDate: date(c.birthDate, 'birth date'),
    sex: SEX[c.sex] ?? 'unspecified',
    nationality: c.nationality,
    ethnicity: c.ethnicity,
    religion: c.religion,
    homeTown: address(c.homeTown),
    birthPlace: address(c.birthPlace),
    permanentResidence: address(c.permanentResidence),
    temporaryResidence: address(c.temporaryResidence),
    maritalStatus: MARITAL[c.maritalStatus] ?? 'unspecified',
    fatherCitizenId: optionalId(c.fatherCitizenId, 'father id'),
    motherCitizenId: optionalId(c.motherCitizenId, 'mother id'),
    spouseCitizenId: optionalId(c.spouseCitizenId, 'spouse id'),
    deathDate: optionalDate(c.deathDate, 'death date'),
    lastVerifiedDate: optionalDate(c.lastVerifiedDate, 'verification date'),
  };
  if (event.recordVersion < 1n) refuse('record version');
  return {
    citizenId: citizenId(event.citizenId, 'citizen id'),
    event: { type: 'RegistryRecordReceived', data: { recordVersion: Number(event.recordVersion), record } },
  };
}

function fromCard(event: CardChanged): { citizenId: string; event: ReceivedEvent } {
  const k = event.card ?? refuse('card (no card)');
  if (event.cardVersion < 1n) refuse('card version');
  return {
    citizenId: citizenId(k.citizenId, 'card holder id'),
    event: {
      type: 'CardReceived',
      data: {
        card: {
          cardId: event.cardId || refuse('card id'),
          cardVersion: Number(event.cardVersion),
          documentNumber: k.documentNumber,
          status: CARD_STATUS[k.status] ?? 'unspecified',
          issueDate: k.issueDate === '' ? '' : date(k.issueDate, 'issue date'),
          expiryDate: optionalDate(k.expiryDate, 'expiry date'),
          revocationReason: REVOCATION[k.revocationReason] ?? 'unspecified',
          changedAt: k.changedAt,
        },
      },
    },
  };
}

const reference = (r: BiometricReference | undefined): BiometricReferenceFacts | null =>
  r && r.reference ? { reference: r.reference, sha256: r.sha256, mediaType: r.mediaType } : null;

/** An application counts once handed to card production; a later completion keeps it counted. */
const SUBMITTED: ReadonlySet<ApplicationStage> = new Set([
  ApplicationStage.SUBMITTED,
  ApplicationStage.COMPLETED,
]);

function fromApplication(event: CardApplicationChanged): { citizenId: string; event: ReceivedEvent } | null {
  const a = event.application ?? refuse('application (no application)');
  // Before the register's data is pinned the application names nobody data sharing can act on.
  if (a.citizenId === '') return null;
  if (event.applicationVersion < 1n) refuse('application version');
  return {
    citizenId: citizenId(a.citizenId, 'applicant id'),
    event: {
      type: 'EnrolmentReceived',
      data: {
        enrolment: {
          applicationId: event.applicationId || refuse('application id'),
          applicationVersion: Number(event.applicationVersion),
          submitted: SUBMITTED.has(a.stage),
          face: reference(a.face),
          fingerprints: reference(a.fingerprints),
          submittedAt: a.submittedAt,
        },
      },
    },
  };
}

/**
 * What a consumed integration event tells data sharing, as a received event for one citizen's
 * stream; null for an event about nobody yet.
 */
export function receivedEvent(event: CloudEvent): { citizenId: string; event: ReceivedEvent } | null {
  switch (event.type) {
    case CitizenRecordChangedSchema.typeName:
      return fromRecord(event.data as CitizenRecordChanged);
    case CardChangedSchema.typeName:
      return fromCard(event.data as CardChanged);
    case CardApplicationChangedSchema.typeName:
      return fromApplication(event.data as CardApplicationChanged);
    default:
      return refuse(`event type ${event.type}`);
  }
}
