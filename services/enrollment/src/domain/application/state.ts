import type { FingerException, FingerPosition } from '../biometrics/fingers.js';
import type { CitizenData } from './citizen-data.js';
import type { ApplicationEvent, ApplicationReason, BiometricRef, DuplicateCandidate } from './events.js';

/** Where an application is in the pipeline (the proto's ApplicationStage). */
export type Stage =
  | 'started'
  | 'capturing'
  | 'duplicate-check'
  | 'adjudication'
  | 'review'
  | 'submitted'
  | 'completed'
  | 'rejected'
  | 'cancelled'
  | 'blocked';

/** Stages after which nothing more happens to an application: it no longer counts as open. */
export const CLOSED_STAGES: readonly Stage[] = ['completed', 'rejected', 'cancelled', 'blocked'];

export const isClosed = (stage: Stage): boolean => CLOSED_STAGES.includes(stage);

export interface PinnedCitizen {
  readonly citizenId: string;
  readonly recordVersion: number;
  readonly data: CitizenData;
}

export interface FingerprintCapture {
  readonly record: BiometricRef;
  readonly fingers: readonly FingerPosition[];
  readonly exceptions: readonly FingerException[];
}

export interface Application {
  readonly personalId: string;
  readonly reason: ApplicationReason;
  readonly priority: number;
  readonly stationId: string;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly replacesCardId: string | null;
  readonly stage: Stage;
  readonly stageEnteredAt: string;
  readonly citizen: PinnedCitizen | null;
  readonly face: BiometricRef | null;
  readonly fingerprints: FingerprintCapture | null;
  readonly candidates: readonly DuplicateCandidate[];
  readonly submittedAt: string | null;
  readonly approvedBy: string | null;
  /** Machine-readable reason of a block, rejection or cancellation. */
  readonly closedReason: string | null;
  readonly cardId: string | null;
}

export type ApplicationState =
  { readonly status: 'none' } | { readonly status: 'exists'; readonly application: Application };

export const initialState = (): ApplicationState => ({ status: 'none' });

function enter(application: Application, stage: Stage, at: string): Application {
  return { ...application, stage, stageEnteredAt: at };
}

function apply(
  a: Application,
  event: Exclude<ApplicationEvent, { type: 'ApplicationStarted' }>,
): Application {
  switch (event.type) {
    case 'RegisterDataPinned': {
      const { citizenId, recordVersion, citizen } = event.data;
      return enter(
        { ...a, citizen: { citizenId, recordVersion, data: citizen } },
        'capturing',
        event.data.at,
      );
    }
    case 'ApplicationBlocked':
      return enter({ ...a, closedReason: event.data.rule }, 'blocked', event.data.at);
    case 'FaceCaptured':
      return { ...a, face: event.data.face };
    case 'FingerprintsCaptured':
      return {
        ...a,
        fingerprints: {
          record: event.data.fingerprints,
          fingers: event.data.fingers,
          exceptions: event.data.exceptions,
        },
      };
    case 'SubmittedForReview':
      return enter({ ...a, candidates: [] }, 'duplicate-check', event.data.at);
    case 'DuplicateCheckCleared':
      return enter(a, 'review', event.data.at);
    case 'DuplicateCandidatesFound':
      return enter({ ...a, candidates: event.data.candidates }, 'adjudication', event.data.at);
    case 'DuplicateAdjudicated':
      return event.data.decision === 'not-duplicate'
        ? enter(a, 'review', event.data.at)
        : enter({ ...a, closedReason: 'DUPLICATE_IDENTITY' }, 'rejected', event.data.at);
    case 'ApplicationApproved':
      return enter(
        { ...a, approvedBy: event.data.approvedBy, submittedAt: event.data.at },
        'submitted',
        event.data.at,
      );
    case 'ApplicationRejected':
      return enter(
        { ...a, closedReason: event.data.reason.toUpperCase().replaceAll('-', '_') },
        'rejected',
        event.data.at,
      );
    case 'ApplicationCancelled':
      return enter(
        { ...a, closedReason: event.data.reason.toUpperCase().replaceAll('-', '_') },
        'cancelled',
        event.data.at,
      );
    case 'ApplicationCompleted':
      return enter({ ...a, cardId: event.data.cardId }, 'completed', event.data.at);
    default: {
      const unknown: never = event;
      throw new Error(`unknown application event ${(unknown as { type: string }).type}`);
    }
  }
}

export function evolve(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  if (event.type === 'ApplicationStarted') {
    const d = event.data;
    return {
      status: 'exists',
      application: {
        personalId: d.personalId,
        reason: d.reason,
        priority: d.priority,
        stationId: d.stationId,
        startedBy: d.startedBy,
        startedAt: d.at,
        replacesCardId: d.replacesCardId,
        stage: 'started',
        stageEnteredAt: d.at,
        citizen: null,
        face: null,
        fingerprints: null,
        candidates: [],
        submittedAt: null,
        approvedBy: null,
        closedReason: null,
        cardId: null,
      },
    };
  }
  if (state.status === 'none') return state;
  return { status: 'exists', application: apply(state.application, event) };
}
