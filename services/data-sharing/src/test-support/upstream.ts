import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { toKafkaRecord, type OutgoingRecord, type Transport } from '@cancuoc/messaging';
import {
  ApplicationStage,
  CardApplicationChangedSchema,
  CardChangedSchema,
  CardStatus,
  CARD_PRODUCTION_CARD_TOPIC,
  ChangeKind,
  CitizenRecordChangedSchema,
  CitizenSchema,
  ENROLLMENT_APPLICATION_TOPIC,
  MaritalStatus,
  REGISTRY_CITIZEN_TOPIC,
  Sex,
} from '@cancuoc/proto';

/** The register's record of a citizen, every field given. */
export type CitizenInit = Omit<MessageInitShape<typeof CitizenSchema>, '$typeName' | '$unknown'>;

/** A citizen record as the register would publish it, with every field set. */
export function citizenInit(overrides: Partial<CitizenInit> = {}): CitizenInit {
  return {
    personalId: '001190000001',
    familyName: 'Nguyễn',
    middleName: 'Văn',
    givenName: 'An',
    birthDate: '1990-05-17',
    sex: Sex.MALE,
    nationality: 'VNM',
    ethnicity: 'Kinh',
    religion: 'Không',
    homeTown: { provinceCode: '001', communeCode: '00049', detail: 'Hàng Đào' },
    birthPlace: { provinceCode: '001', communeCode: '00049', detail: '' },
    permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' },
    maritalStatus: MaritalStatus.SINGLE,
    ...overrides,
  };
}

/**
 * Upstream services as data sharing sees them: their integration events, published on their
 * topics through the contract (CloudEvents binary mode), exactly as their relays do.
 */
export class Upstream {
  private readonly versions = new Map<string, number>();

  constructor(private readonly transport: Transport) {}

  private record(
    topic: string,
    schema: Parameters<typeof toKafkaRecord>[0]['schema'],
    data: Parameters<typeof toKafkaRecord>[0]['data'],
    subject: string,
    source: string,
    sequence: number,
  ): OutgoingRecord {
    return toKafkaRecord({
      topic,
      schema,
      data,
      id: randomUUID(),
      source,
      time: new Date(),
      subject,
      traceparent: undefined,
      correlationId: randomUUID(),
      causationId: undefined,
      sequence,
    });
  }

  /** Builds the next version of a citizen's record; `version` forces one (an old one, say). */
  citizenRecord(
    citizenId: string,
    citizen: CitizenInit,
    options: { version?: number; change?: ChangeKind } = {},
  ): OutgoingRecord {
    const version = options.version ?? (this.versions.get(citizenId) ?? 0) + 1;
    this.versions.set(citizenId, Math.max(version, this.versions.get(citizenId) ?? 0));
    return this.record(
      REGISTRY_CITIZEN_TOPIC.name,
      CitizenRecordChangedSchema,
      create(CitizenRecordChangedSchema, {
        citizenId,
        recordVersion: BigInt(version),
        changeKind: options.change ?? ChangeKind.REGISTERED,
        citizen: create(CitizenSchema, citizen),
      }),
      citizenId,
      '/cancuoc/registry',
      version,
    );
  }

  card(
    citizenId: string,
    card: {
      cardId: string;
      version: number;
      documentNumber: string;
      status?: CardStatus;
      issueDate?: string;
      expiryDate?: string;
    },
  ): OutgoingRecord {
    return this.record(
      CARD_PRODUCTION_CARD_TOPIC.name,
      CardChangedSchema,
      create(CardChangedSchema, {
        cardId: card.cardId,
        cardVersion: BigInt(card.version),
        card: {
          cardId: card.cardId,
          applicationId: randomUUID(),
          citizenId,
          documentNumber: card.documentNumber,
          status: card.status ?? CardStatus.ACTIVATED,
          issueDate: card.issueDate ?? '2024-03-01',
          expiryDate: card.expiryDate ?? '2030-05-17',
          changedAt: new Date().toISOString(),
        },
      }),
      card.cardId,
      '/cancuoc/card-production',
      card.version,
    );
  }

  enrolment(
    citizenId: string,
    application: {
      applicationId: string;
      version: number;
      face: string;
      faceSha256: string;
      fingerprints: string;
      fingerprintsSha256: string;
    },
  ): OutgoingRecord {
    return this.record(
      ENROLLMENT_APPLICATION_TOPIC.name,
      CardApplicationChangedSchema,
      create(CardApplicationChangedSchema, {
        applicationId: application.applicationId,
        applicationVersion: BigInt(application.version),
        application: {
          applicationId: application.applicationId,
          citizenId,
          stage: ApplicationStage.SUBMITTED,
          face: { reference: application.face, sha256: application.faceSha256, mediaType: 'image/jpeg' },
          fingerprints: {
            reference: application.fingerprints,
            sha256: application.fingerprintsSha256,
            mediaType: 'application/vnd.iso.19794-2',
          },
          submittedAt: new Date().toISOString(),
        },
      }),
      application.applicationId,
      '/cancuoc/enrollment',
      application.version,
    );
  }

  publish(...records: OutgoingRecord[]): Promise<void> {
    return this.transport.publish(records);
  }
}
