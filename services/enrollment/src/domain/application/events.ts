import type { DomainEvent } from '@cancuoc/eventstore';
import type { FingerException, FingerPosition } from '../biometrics/fingers.js';
import type { CitizenData } from './citizen-data.js';

/** Why a card is applied for. */
export type ApplicationReason = 'first-issue' | 'renewal' | 'lost' | 'damaged' | 'personal-data-changed';

export const APPLICATION_REASONS: readonly ApplicationReason[] = [
  'first-issue',
  'renewal',
  'lost',
  'damaged',
  'personal-data-changed',
];

/** Why a supervisor rejected an application. */
export type RejectionReason = 'identity-not-confirmed' | 'biometrics-inadequate' | 'not-eligible' | 'other';

/** Biometric data held encrypted in the vault, named by reference, with the SHA-256 of the clear bytes. */
export interface BiometricRef {
  readonly reference: string;
  readonly sha256: string;
  readonly mediaType: string;
  readonly size: number;
  /** Pixels, for images; 0 otherwise. */
  readonly width: number;
  readonly height: number;
}

/** Another enrolled application whose fingerprints match this one's. */
export interface DuplicateCandidate {
  readonly applicationId: string;
  readonly citizenId: string;
  /** Best finger score, 0 to 1. */
  readonly score: number;
  readonly matchingFingers: number;
}

/** The card statuses that change an application; the others only show in its view. */
export type ClosingCardStatus = 'delivered' | 'activated' | 'cancelled';

/** Every event carries `at` (RFC 3339), the time the service decided it. */
interface At {
  readonly at: string;
}

export type ApplicationEvent =
  | DomainEvent<
      'ApplicationStarted',
      At & {
        readonly personalId: string;
        readonly reason: ApplicationReason;
        readonly priority: number;
        readonly stationId: string;
        readonly startedBy: string;
        readonly replacesCardId: string | null;
      }
    >
  | DomainEvent<
      'RegisterDataPinned',
      At & { readonly citizenId: string; readonly recordVersion: number; readonly citizen: CitizenData }
    >
  | DomainEvent<
      'ApplicationBlocked',
      At & {
        /** The rule that blocked it, e.g. CITIZEN_DECEASED; becomes the application's closed reason. */
        readonly rule: string;
        readonly description: string;
        /** The register version the decision was taken on, when the register answered. */
        readonly citizenId: string | null;
        readonly recordVersion: number | null;
      }
    >
  | DomainEvent<'FaceCaptured', At & { readonly face: BiometricRef; readonly capturedBy: string }>
  | DomainEvent<
      'FingerprintsCaptured',
      At & {
        readonly fingerprints: BiometricRef;
        readonly fingers: readonly FingerPosition[];
        readonly exceptions: readonly FingerException[];
        readonly capturedBy: string;
      }
    >
  | DomainEvent<'SubmittedForReview', At & { readonly submittedBy: string }>
  | DomainEvent<'DuplicateCheckCleared', At & { readonly matcher: string; readonly comparedWith: number }>
  | DomainEvent<
      'DuplicateCandidatesFound',
      At & {
        readonly matcher: string;
        readonly comparedWith: number;
        readonly candidates: readonly DuplicateCandidate[];
      }
    >
  | DomainEvent<
      'DuplicateAdjudicated',
      At & {
        readonly decision: 'not-duplicate' | 'duplicate';
        readonly adjudicatedBy: string;
        readonly note: string;
      }
    >
  | DomainEvent<'ApplicationApproved', At & { readonly approvedBy: string }>
  | DomainEvent<
      'ApplicationRejected',
      At & {
        readonly rejectedBy: string;
        readonly reason: RejectionReason | 'duplicate-identity';
        readonly note: string;
      }
    >
  | DomainEvent<
      'ApplicationCancelled',
      At & {
        readonly cancelledBy: string;
        readonly reason: 'withdrawn' | 'card-cancelled';
        readonly note: string;
      }
    >
  | DomainEvent<
      'ApplicationCompleted',
      At & { readonly cardId: string; readonly cardStatus: 'delivered' | 'activated' }
    >;

export type ApplicationEventType = ApplicationEvent['type'];
