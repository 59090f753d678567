import type { FingerException, FingerPosition } from '../biometrics/fingers.js';
import type { RegisterLookup } from './citizen-data.js';
import type { CardHistory } from './eligibility.js';
import type {
  ApplicationReason,
  BiometricRef,
  ClosingCardStatus,
  DuplicateCandidate,
  RejectionReason,
} from './events.js';

/** Every command carries the service's clock reading (RFC 3339), so the rules stay pure. */
interface Timed {
  readonly now: string;
}

/** Staff at a station: the operator's token subject and the station's (both authenticated). */
export interface AtStation {
  readonly operator: string;
  readonly stationId: string;
}

export type ApplicationCommand =
  | (Timed &
      AtStation & {
        readonly type: 'StartApplication';
        readonly personalId: string;
        readonly reason: ApplicationReason | undefined;
        readonly priority: number;
        readonly replacesCardId: string | null;
        /** The register's answer when it answered at once; otherwise the re-processor pins it later. */
        readonly lookup: Extract<RegisterLookup, { kind: 'found' }> | undefined;
        readonly history: CardHistory;
      })
  | (Timed & {
      readonly type: 'PinRegisterData';
      readonly lookup: RegisterLookup;
      readonly history: CardHistory;
    })
  | (Timed & AtStation & { readonly type: 'CaptureFace'; readonly face: BiometricRef })
  | (Timed &
      AtStation & {
        readonly type: 'CaptureFingerprints';
        readonly fingerprints: BiometricRef;
        readonly fingers: readonly FingerPosition[];
        readonly exceptions: readonly FingerException[];
      })
  | (Timed & AtStation & { readonly type: 'SubmitForReview' })
  | (Timed & {
      readonly type: 'RecordDuplicateCheck';
      readonly matcher: string;
      readonly comparedWith: number;
      readonly candidates: readonly DuplicateCandidate[];
    })
  | (Timed & {
      readonly type: 'Adjudicate';
      readonly supervisor: string;
      readonly decision: 'not-duplicate' | 'duplicate' | undefined;
      readonly note: string;
    })
  | (Timed & { readonly type: 'Approve'; readonly supervisor: string })
  | (Timed & {
      readonly type: 'Reject';
      readonly supervisor: string;
      readonly reason: RejectionReason | undefined;
      readonly note: string;
    })
  | (Timed & {
      readonly type: 'Cancel';
      readonly by: string;
      /** The caller's station for an operator; null for a supervisor, who may cancel anywhere. */
      readonly stationId: string | null;
      readonly note: string;
    })
  | (Timed & {
      readonly type: 'RecordCardStatus';
      readonly cardId: string;
      readonly status: ClosingCardStatus;
    });
