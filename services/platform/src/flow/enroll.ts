import { createHash } from 'node:crypto';
import { identities, STATION_TOKEN_HEADER, type Identity } from '@cancuoc/auth';
import {
  ApplicationReason,
  ApplicationStage,
  CardJobStatus,
  CardProductionService,
  EnrollmentService,
  FingerprintFormat,
} from '@cancuoc/proto';
import { jpegImage, portraitPixels, syntheticPerson, tenPrintRecord } from '@cancuoc/synthetic';
import { grpcCode, readErrorDetails, status, type GrpcClient } from '@cancuoc/grpc';
import { CliFailure } from '../cli/command.js';
import type { Connection } from '../cli/connection.js';
import type { SeededCitizen } from './citizens.js';
import { until } from './pool.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function* chunks(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** A face photo and ten fingerprints for one synthetic person: real JPEG and ISO/IEC 19794-2 bytes. */
export function biometricsOf(seed: number): { face: Uint8Array; fingerprints: Uint8Array } {
  return {
    face: jpegImage(300, 400, portraitPixels(300, 400, seed)),
    // Fewer minutiae than a real print keeps the built-in 1:N matcher quick; still above its minimum of 12.
    fingerprints: tenPrintRecord(syntheticPerson(seed, 24)),
  };
}

/** Stations the demo enrols at: a station may start 30 applications a minute (enrollment's limit). */
export const enrollmentStationOf = (index: number, perStation = 20) =>
  `demo-enrol-${String(Math.floor(index / perStation) + 1).padStart(2, '0')}`;

/** The operator who enrols at `station`. */
export const operatorOf = (station: string): Identity => identities.operator(`${station}-op`);

/** The supervisor who approves the demo's applications (another person than the operators). */
export const DEMO_SUPERVISOR: Identity = identities.supervisor('demo-sup');

const FINAL_STOPS = new Set([
  ApplicationStage.BLOCKED,
  ApplicationStage.ADJUDICATION,
  ApplicationStage.REJECTED,
  ApplicationStage.CANCELLED,
]);

/** Enrollment blocked the application for a reason of the register's, e.g. `REGISTER_RECORD_FLAGGED`. */
export class ApplicationBlocked extends CliFailure {
  constructor(
    readonly applicationId: string,
    readonly reason: string,
  ) {
    super(`application ${applicationId} was blocked (${reason || 'no reason given'})`);
  }
}

export interface EnrolledApplication {
  readonly citizenId: string;
  readonly applicationId: string;
}

/** Where an application of the citizen is, to take it on from there ({@link enrollCitizen}). */
export interface OpenApplication {
  readonly applicationId: string;
  /** The station it was started at: captures are made there. */
  readonly stationId: string;
}

/**
 * One citizen at the police station: StartApplication, the face and the ten prints (streamed in
 * chunks), submission, the duplicate check, and a supervisor's approval (another person than the
 * operator, as enrollment requires). Resolves once the application is SUBMITTED to card production.
 *
 * Resumable: given an application an earlier run left part of the way (`open`), or when enrollment
 * answers that the citizen already has an open one (ALREADY_EXISTS, naming it), it takes that one on
 * from its stage — waits for the register's data, captures again (enrollment takes a new capture
 * while CAPTURING), submits, waits for the duplicate check, approves — and never starts a second.
 */
export async function enrollCitizen(
  connection: Connection,
  citizen: SeededCitizen,
  station: string,
  options: {
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
    readonly open?: OpenApplication;
  } = {},
): Promise<EnrolledApplication> {
  // The operator signs in at the station: their own token, and the station's beside it.
  const operatorAt = (stationId: string) =>
    connection.client(EnrollmentService, 'enrollment', operatorOf(stationId), {
      [STATION_TOKEN_HEADER]: identities.enrollmentStation(stationId),
    });
  const supervisor = connection.client(EnrollmentService, 'enrollment', DEMO_SUPERVISOR);
  let applicationId = options.open?.applicationId;
  if (!applicationId) {
    try {
      const started = await operatorAt(station).startApplication({
        personalId: citizen.personalId,
        reason: ApplicationReason.FIRST_ISSUE,
      });
      applicationId = started.application!.application!.applicationId;
    } catch (error) {
      // Started by a call whose answer was lost (the platform went away): that one is taken on.
      const open = readErrorDetails(error)?.resourceInfo?.resourceName;
      if (grpcCode(error) !== status.ALREADY_EXISTS || !open) throw error;
      applicationId = open;
    }
  }
  const id = applicationId;
  const read = async () => (await supervisor.getApplication({ applicationId: id })).application!.application!;
  const stopped = (application: { stage: ApplicationStage; closedReason: string }) =>
    application.stage === ApplicationStage.BLOCKED
      ? new ApplicationBlocked(id, application.closedReason)
      : new CliFailure(
          `application ${id} stopped at ${ApplicationStage[application.stage]}${application.closedReason ? ` (${application.closedReason})` : ''}`,
        );
  const timeoutMs = options.timeoutMs ?? 120_000;
  const waitFor = (what: string, done: (stage: ApplicationStage) => boolean) =>
    until(read, (a) => done(a.stage), {
      timeoutMs,
      signal: options.signal,
      onTimeout: () => new CliFailure(`application ${id} did not reach ${what} in ${timeoutMs / 1000} s`),
    });
  let application = await read();
  for (;;) {
    switch (application.stage) {
      case ApplicationStage.STARTED:
        // Waiting for the register's data (the re-processor asks again while the register is away).
        application = await waitFor('capture', (s) => s !== ApplicationStage.STARTED);
        break;
      case ApplicationStage.CAPTURING:
        await capture(operatorAt(application.stationId), id, citizen.biometricSeed);
        application = await waitFor('review', (s) => s === ApplicationStage.REVIEW || FINAL_STOPS.has(s));
        break;
      case ApplicationStage.DUPLICATE_CHECK:
        application = await waitFor('review', (s) => s === ApplicationStage.REVIEW || FINAL_STOPS.has(s));
        break;
      case ApplicationStage.REVIEW:
        await supervisor.approveApplication({ applicationId: id });
        return { citizenId: citizen.citizenId, applicationId: id };
      case ApplicationStage.SUBMITTED:
      case ApplicationStage.COMPLETED:
        return { citizenId: citizen.citizenId, applicationId: id };
      default:
        throw stopped(application);
    }
  }
}

/** The face and the ten prints of the citizen's synthetic person, then the submission for review. */
async function capture(
  operator: GrpcClient<typeof EnrollmentService>,
  applicationId: string,
  biometricSeed: number,
): Promise<void> {
  const { face, fingerprints } = biometricsOf(biometricSeed);
  await operator.captureFace([
    { part: { case: 'header', value: { applicationId, size: BigInt(face.length), sha256: sha256(face) } } },
    ...[...chunks(face, 64 * 1024)].map((c) => ({ part: { case: 'chunk' as const, value: c } })),
  ]);
  await operator.captureFingerprints([
    {
      part: {
        case: 'header',
        value: {
          upload: { applicationId, size: BigInt(fingerprints.length), sha256: sha256(fingerprints) },
          format: FingerprintFormat.ISO_19794_2,
          exceptions: [],
        },
      },
    },
    ...[...chunks(fingerprints, 4096)].map((c) => ({ part: { case: 'chunk' as const, value: c } })),
  ]);
  await operator.submitForReview({ applicationId });
}

/** Card production's operator in the demo: checks, ships, hands over and activates the cards. */
export const DEMO_ADMINISTRATOR: Identity = identities.administrator('cancuoc-demo');

const ENCODED_OR_LATER = new Set([
  CardJobStatus.ENCODED,
  CardJobStatus.QUALITY_CHECKED,
  CardJobStatus.SHIPPED,
  CardJobStatus.DELIVERED,
  CardJobStatus.ACTIVATED,
]);

export interface EncodedCard {
  readonly cardId: string;
  /** Where the card was when it was found encoded (or later: a run that continues an earlier one). */
  readonly status: CardJobStatus;
  readonly chipSerial: string;
  /** Chips written for the job that did not become the card. */
  readonly voidedChips: number;
  /** `Encoded` entries in the card's history: one when the card was encoded exactly once. */
  readonly encodings: number;
}

/** Waits until card production reports the application's card encoded by a station. */
export async function cardEncoded(
  connection: Connection,
  applicationId: string,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<EncodedCard> {
  const admin = connection.client(CardProductionService, 'card-production', DEMO_ADMINISTRATOR);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const reply = await until(
    async () => {
      try {
        return await admin.getCard({ card: { case: 'applicationId', value: applicationId } });
      } catch (error) {
        // Not personalised yet: card production has not seen the application. Anything else (the
        // platform away, a refusal) is the caller's to see.
        if (grpcCode(error) === status.NOT_FOUND) return undefined;
        throw error;
      }
    },
    (r) => r !== undefined && ENCODED_OR_LATER.has(r.card!.status),
    {
      timeoutMs,
      intervalMs: 300,
      signal: options.signal,
      onTimeout: () => new CliFailure(`the card of application ${applicationId} was not encoded in time`),
    },
  );
  const card = reply!.card!;
  return {
    cardId: card.cardId,
    status: card.status,
    chipSerial: card.chipSerial,
    voidedChips: card.voidedChips.length,
    encodings: reply!.history.filter((h) => h.change === 'CardEncoded').length,
  };
}

/**
 * What card production's operators do once the chip is written: the quality check, shipping to
 * the commune office, handing over to the citizen (enrollment then closes the application) and
 * activation. Only an issued card is the citizen's card for data sharing. Taken on from `from`, the
 * card's status: a run that continues an earlier one does only the steps not done.
 */
export async function issueCard(
  connection: Connection,
  cardId: string,
  officeUnitCode: string,
  from: CardJobStatus = CardJobStatus.ENCODED,
): Promise<void> {
  const admin = connection.client(CardProductionService, 'card-production', DEMO_ADMINISTRATOR);
  const steps: [CardJobStatus, () => Promise<unknown>][] = [
    [CardJobStatus.ENCODED, () => admin.recordQualityCheck({ cardId, passed: true, defects: [] })],
    [
      CardJobStatus.QUALITY_CHECKED,
      () =>
        admin.shipCard({ cardId, shipmentId: `demo-${officeUnitCode}`, destinationUnitCode: officeUnitCode }),
    ],
    [CardJobStatus.SHIPPED, () => admin.deliverCard({ cardId, deliveredAtUnitCode: officeUnitCode })],
    [CardJobStatus.DELIVERED, () => admin.activateCard({ cardId })],
  ];
  if (from === CardJobStatus.ACTIVATED) return;
  const at = steps.findIndex(([after]) => after === from);
  if (at < 0)
    throw new CliFailure(`card ${cardId} is ${CardJobStatus[from]}: the demo does not take it on from there`);
  for (const [, step] of steps.slice(at)) await step();
}
