import { create } from '@bufbuild/protobuf';
import { newEventId } from '@cancuoc/eventstore';
import { toKafkaRecord, type Transport } from '@cancuoc/messaging';
import {
  ApplicationReason,
  ApplicationStage,
  CardApplicationChangedSchema,
  ENROLLMENT_APPLICATION_TOPIC,
  Sex,
  type CardApplicationChanged,
} from '@cancuoc/proto';

export interface ApplicationSpec {
  readonly applicationId: string;
  readonly version?: number;
  readonly stage?: ApplicationStage;
  readonly reason?: ApplicationReason;
  readonly priority?: number;
  readonly face?: { reference: string; sha256: string };
  readonly citizen?: {
    readonly personalId?: string;
    readonly familyName?: string;
    readonly middleName?: string;
    readonly givenName?: string;
    readonly birthDate?: string;
    readonly sex?: Sex;
  };
  readonly replacesCardId?: string;
  /** The registry's id of the citizen applying; default {@link CITIZEN_ID}. */
  readonly citizenId?: string;
}

/** The registry's id of {@link CITIZEN}. */
export const CITIZEN_ID = '0192f000-0000-7000-8000-0000000000c1';

/** Nguyễn Thị Ánh Đào, born 17 May 1990 in Hà Nội: 36 at the tests' issue dates, so her card runs to 40. */
export const CITIZEN = {
  personalId: '001190123456',
  familyName: 'Nguyễn',
  middleName: 'Thị Ánh',
  givenName: 'Đào',
  birthDate: '1990-05-17',
  sex: Sex.FEMALE,
  nationality: 'VNM',
  ethnicity: 'Kinh',
  religion: 'Không',
  homeTown: { provinceCode: '092', communeCode: '31120', detail: '' },
  birthPlace: { provinceCode: '001', communeCode: '00070', detail: '' },
  permanentResidence: { provinceCode: '001', communeCode: '00004', detail: '3 Phan Đình Phùng' },
} as const;

/** A `CardApplicationChanged` as enrollment publishes it. */
export function applicationChanged(spec: ApplicationSpec): CardApplicationChanged {
  const stage = spec.stage ?? ApplicationStage.SUBMITTED;
  return create(CardApplicationChangedSchema, {
    applicationId: spec.applicationId,
    applicationVersion: BigInt(spec.version ?? 6),
    application: {
      applicationId: spec.applicationId,
      citizenId: spec.citizenId ?? CITIZEN_ID,
      registryRecordVersion: 3n,
      citizen: { ...CITIZEN, ...spec.citizen },
      reason: spec.reason ?? ApplicationReason.FIRST_ISSUE,
      stage,
      stationId: 'hn-07',
      priority: spec.priority ?? 0,
      face: spec.face ? { ...spec.face, mediaType: 'image/jpeg', width: 120, height: 160 } : undefined,
      submittedAt: '2026-11-26T01:00:00.000Z',
      approvedBy: 'supervisor:hn-s01',
      replacesCardId: spec.replacesCardId ?? '',
    },
  });
}

/** Publishes the change as enrollment's relay would: a CloudEvent keyed by application id. */
export async function publishApplication(
  transport: Transport,
  event: CardApplicationChanged,
  eventId: string = newEventId(),
  traceparent?: string,
): Promise<string> {
  await transport.publish([
    toKafkaRecord({
      topic: ENROLLMENT_APPLICATION_TOPIC.name,
      schema: CardApplicationChangedSchema,
      data: event,
      id: eventId,
      source: '/cancuoc/enrollment',
      time: new Date(),
      subject: event.applicationId,
      traceparent,
      correlationId: newEventId(),
      causationId: undefined,
      sequence: Number(event.applicationVersion),
    }),
  ]);
  return eventId;
}
