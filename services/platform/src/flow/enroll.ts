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

/**
 * One citizen at the police station: StartApplication, the face and the ten prints (streamed in
 * chunks), submission, the duplicate check, and a supervisor's approval (another person than the
 * operator, as enrollment requires). Resolves once the application is SUBMITTED to card production.
 */
export async function enrollCitizen(
  connection: Connection,
  citizen: SeededCitizen,
  station: string,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<EnrolledApplication> {
  // The operator signs in at the station: their own token, and the station's beside it.
  const operator = connection.client(EnrollmentService, 'enrollment', operatorOf(station), {
    [STATION_TOKEN_HEADER]: identities.enrollmentStation(station),
  });
  const supervisor = connection.client(EnrollmentService, 'enrollment', DEMO_SUPERVISOR);
  const started = await operator.startApplication({
    personalId: citizen.personalId,
    reason: ApplicationReason.FIRST_ISSUE,
  });
  const applicationId = started.application!.application!.applicationId;
  let closedReason = '';
  const stageOf = async () => {
    const application = (await supervisor.getApplication({ applicationId })).application!.application!;
    closedReason = application.closedReason;
    return application.stage;
  };
  const stopped = (stage: ApplicationStage) =>
    stage === ApplicationStage.BLOCKED
      ? new ApplicationBlocked(applicationId, closedReason)
      : new CliFailure(
          `application ${applicationId} stopped at ${ApplicationStage[stage]}${closedReason ? ` (${closedReason})` : ''}`,
        );
  const timeoutMs = options.timeoutMs ?? 120_000;
  const stuck = (what: string) => () =>
    new CliFailure(`application ${applicationId} did not reach ${what} in ${timeoutMs / 1000} s`);
  const capturing = await until(stageOf, (s) => s !== ApplicationStage.STARTED, {
    timeoutMs,
    signal: options.signal,
    onTimeout: stuck('capture'),
  });
  if (capturing !== ApplicationStage.CAPTURING) throw stopped(capturing);
  const { face, fingerprints } = biometricsOf(citizen.biometricSeed);
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
  const reviewed = await until(stageOf, (s) => s === ApplicationStage.REVIEW || FINAL_STOPS.has(s), {
    timeoutMs,
    signal: options.signal,
    onTimeout: stuck('review'),
  });
  if (reviewed !== ApplicationStage.REVIEW) throw stopped(reviewed);
  await supervisor.approveApplication({ applicationId });
  return { citizenId: citizen.citizenId, applicationId };
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
      } catch {
        return undefined; // not personalised yet: card production has not seen the application
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
    chipSerial: card.chipSerial,
    voidedChips: card.voidedChips.length,
    encodings: reply!.history.filter((h) => h.change === 'CardEncoded').length,
  };
}

/**
 * What card production's operators do once the chip is written: the quality check, shipping to
 * the commune office, handing over to the citizen (enrollment then closes the application) and
 * activation. Only an issued card is the citizen's card for data sharing.
 */
export async function issueCard(
  connection: Connection,
  cardId: string,
  officeUnitCode: string,
): Promise<void> {
  const admin = connection.client(CardProductionService, 'card-production', DEMO_ADMINISTRATOR);
  await admin.recordQualityCheck({ cardId, passed: true, defects: [] });
  await admin.shipCard({ cardId, shipmentId: `demo-${officeUnitCode}`, destinationUnitCode: officeUnitCode });
  await admin.deliverCard({ cardId, deliveredAtUnitCode: officeUnitCode });
  await admin.activateCard({ cardId });
}
