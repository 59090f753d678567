import type { Decider } from '@cancuoc/eventstore';
import { CalendarDate, parsePersonalId } from '@cancuoc/identity';
import { checkFingerCoverage } from '../biometrics/ten-print.js';
import type { RegisterLookup } from './citizen-data.js';
import type { ApplicationCommand } from './commands.js';
import { ineligibility, type CardHistory } from './eligibility.js';
import {
  ApplicationAlreadyStartedError,
  ApplicationNotFoundError,
  ApplicationRuleViolationError,
} from './errors.js';
import { APPLICATION_REASONS, type ApplicationEvent } from './events.js';
import { evolve, initialState, type Application, type ApplicationState, type Stage } from './state.js';
import { Violations } from './violations.js';

const MAX_PRIORITY = 9;
const STATION_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

type Command<T extends ApplicationCommand['type']> = Extract<ApplicationCommand, { type: T }>;

function existing(state: ApplicationState): Application {
  if (state.status === 'none') throw new ApplicationNotFoundError();
  return state.application;
}

const STAGE_WORDS: Record<Stage, string> = {
  started: 'waiting for the register',
  capturing: 'capturing biometrics',
  'duplicate-check': 'in the duplicate check',
  adjudication: 'waiting for adjudication',
  review: 'waiting for review',
  submitted: 'submitted to card production',
  completed: 'completed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  blocked: 'blocked',
};

function inStage(application: Application, stages: readonly Stage[], action: string): void {
  if (stages.includes(application.stage)) return;
  throw new ApplicationRuleViolationError(
    'WRONG_STAGE',
    `${action} is not possible: the application is ${STAGE_WORDS[application.stage]}`,
  );
}

function atItsStation(application: Application, stationId: string): void {
  if (application.stationId !== stationId) {
    throw new ApplicationRuleViolationError(
      'WRONG_STATION',
      'the application is being taken at another station; continue it there',
    );
  }
}

/** The staff id behind a token subject (`operator:hn-001` → `hn-001`), to tell people apart across roles. */
const staffId = (subject: string) => subject.slice(subject.indexOf(':') + 1);

/** What the register's answer means for an application: pinned, or blocked with the rule. */
function pin(
  application: Pick<Application, 'personalId' | 'reason'>,
  lookup: RegisterLookup,
  history: CardHistory,
  now: string,
): ApplicationEvent {
  if (lookup.kind === 'not-found') {
    return {
      type: 'ApplicationBlocked',
      data: {
        rule: 'CITIZEN_NOT_IN_REGISTER',
        description: 'the register holds no citizen with this personal id number',
        citizenId: null,
        recordVersion: null,
        at: now,
      },
    };
  }
  const blocked = (rule: string, description: string): ApplicationEvent => ({
    type: 'ApplicationBlocked',
    data: { rule, description, citizenId: lookup.citizenId, recordVersion: lookup.recordVersion, at: now },
  });
  if (lookup.citizen.personalId !== application.personalId) {
    return blocked('REGISTER_ANSWER_MISMATCH', 'the register answered for another personal id number');
  }
  if (lookup.deceased || lookup.citizen.deathDate !== '') {
    return blocked('CITIZEN_DECEASED', 'the register records this citizen as deceased');
  }
  if (lookup.openQualityFlags.length > 0) {
    return blocked(
      'REGISTER_RECORD_FLAGGED',
      `the register record has open quality flags (${[...new Set(lookup.openQualityFlags)].sort().join(', ')}); ` +
        'the commune police must settle them before a card is made',
    );
  }
  const today = CalendarDate.fromInstant(new Date(now));
  const refusal = ineligibility(application.reason, lookup.citizen, today, history);
  if (refusal) return blocked(refusal.rule, refusal.description);
  return {
    type: 'RegisterDataPinned',
    data: {
      citizenId: lookup.citizenId,
      recordVersion: lookup.recordVersion,
      citizen: lookup.citizen,
      at: now,
    },
  };
}

function start(command: Command<'StartApplication'>, state: ApplicationState): ApplicationEvent[] {
  if (state.status !== 'none') throw new ApplicationAlreadyStartedError();
  const v = new Violations();
  const personalId = v.catching(() => parsePersonalId(command.personalId, { field: 'personalId' }));
  if (!command.reason || !APPLICATION_REASONS.includes(command.reason)) {
    v.add('reason', 'REQUIRED', 'say why the card is applied for');
  }
  if (!Number.isInteger(command.priority) || command.priority < 0 || command.priority > MAX_PRIORITY) {
    v.add('priority', 'OUT_OF_RANGE', `from 0 (normal) to ${MAX_PRIORITY}`);
  }
  if (!STATION_ID.test(command.stationId))
    v.add('stationId', 'INVALID', 'the station token names no valid station');
  if (command.replacesCardId !== null) v.note('replacesCardId', command.replacesCardId, 64);
  v.throwIfAny();
  const reason = command.reason!;
  const started: ApplicationEvent = {
    type: 'ApplicationStarted',
    data: {
      personalId: personalId!.value,
      reason,
      priority: command.priority,
      stationId: command.stationId,
      startedBy: command.operator,
      replacesCardId: command.replacesCardId,
      at: command.now,
    },
  };
  if (!command.lookup) return [started];
  return [
    started,
    pin({ personalId: personalId!.value, reason }, command.lookup, command.history, command.now),
  ];
}

function captureFingerprints(command: Command<'CaptureFingerprints'>, a: Application): ApplicationEvent[] {
  inStage(a, ['capturing'], 'capturing fingerprints');
  atItsStation(a, command.stationId);
  const v = new Violations();
  for (const violation of checkFingerCoverage(command.fingers, command.exceptions)) {
    v.add(violation.field, violation.reason, violation.description);
  }
  v.throwIfAny();
  return [
    {
      type: 'FingerprintsCaptured',
      data: {
        fingerprints: command.fingerprints,
        fingers: [...command.fingers].sort((x, y) => x - y),
        exceptions: [...command.exceptions].sort((x, y) => x.finger - y.finger),
        capturedBy: command.operator,
        at: command.now,
      },
    },
  ];
}

function submit(command: Command<'SubmitForReview'>, a: Application): ApplicationEvent[] {
  inStage(a, ['capturing'], 'submitting for review');
  atItsStation(a, command.stationId);
  if (!a.face) throw new ApplicationRuleViolationError('FACE_MISSING', 'capture the face portrait first');
  if (!a.fingerprints)
    throw new ApplicationRuleViolationError('FINGERPRINTS_MISSING', 'capture the fingerprints first');
  return [{ type: 'SubmittedForReview', data: { submittedBy: command.operator, at: command.now } }];
}

function approve(command: Command<'Approve'>, a: Application): ApplicationEvent[] {
  inStage(a, ['review'], 'approval');
  if (staffId(command.supervisor) === staffId(a.startedBy)) {
    throw new ApplicationRuleViolationError(
      'SEPARATION_OF_DUTIES',
      'the staff member who took the application cannot approve it; another supervisor must',
    );
  }
  return [{ type: 'ApplicationApproved', data: { approvedBy: command.supervisor, at: command.now } }];
}

function adjudicate(command: Command<'Adjudicate'>, a: Application): ApplicationEvent[] {
  const v = new Violations();
  if (command.decision !== 'not-duplicate' && command.decision !== 'duplicate') {
    v.add('decision', 'REQUIRED', 'decide whether the candidates are the same person');
  }
  v.note('note', command.note);
  v.throwIfAny();
  inStage(a, ['adjudication'], 'adjudication');
  return [
    {
      type: 'DuplicateAdjudicated',
      data: {
        decision: command.decision!,
        adjudicatedBy: command.supervisor,
        note: command.note,
        at: command.now,
      },
    },
  ];
}

function reject(command: Command<'Reject'>, a: Application): ApplicationEvent[] {
  const v = new Violations();
  if (!command.reason) v.add('reason', 'REQUIRED', 'say why the application is rejected');
  v.note('note', command.note);
  v.throwIfAny();
  inStage(a, ['review', 'adjudication'], 'rejection');
  return [
    {
      type: 'ApplicationRejected',
      data: { rejectedBy: command.supervisor, reason: command.reason!, note: command.note, at: command.now },
    },
  ];
}

function cancel(command: Command<'Cancel'>, a: Application): ApplicationEvent[] {
  const v = new Violations();
  v.note('note', command.note);
  v.throwIfAny();
  inStage(a, ['started', 'capturing', 'duplicate-check', 'adjudication', 'review'], 'cancellation');
  if (command.stationId !== null) atItsStation(a, command.stationId);
  return [
    {
      type: 'ApplicationCancelled',
      data: { cancelledBy: command.by, reason: 'withdrawn', note: command.note, at: command.now },
    },
  ];
}

/**
 * Card production's news: a delivered or activated card completes the application; a cancelled
 * card job cancels it, so the citizen can apply again. Anything for an application that is not
 * (or no longer) submitted changes nothing: events can come again, and late.
 */
function recordCard(command: Command<'RecordCardStatus'>, a: Application): ApplicationEvent[] {
  if (a.stage !== 'submitted') return [];
  if (command.status === 'cancelled') {
    return [
      {
        type: 'ApplicationCancelled',
        data: {
          cancelledBy: 'service:card-production',
          reason: 'card-cancelled',
          note: '',
          at: command.now,
        },
      },
    ];
  }
  return [
    {
      type: 'ApplicationCompleted',
      data: { cardId: command.cardId, cardStatus: command.status, at: command.now },
    },
  ];
}

export function decide(command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] {
  if (command.type === 'StartApplication') return start(command, state);
  const a = existing(state);
  switch (command.type) {
    case 'PinRegisterData':
      inStage(a, ['started'], 'pinning register data');
      return [pin(a, command.lookup, command.history, command.now)];
    case 'CaptureFace':
      inStage(a, ['capturing'], 'capturing the face');
      atItsStation(a, command.stationId);
      return [
        { type: 'FaceCaptured', data: { face: command.face, capturedBy: command.operator, at: command.now } },
      ];
    case 'CaptureFingerprints':
      return captureFingerprints(command, a);
    case 'SubmitForReview':
      return submit(command, a);
    case 'RecordDuplicateCheck':
      inStage(a, ['duplicate-check'], 'recording the duplicate check');
      return command.candidates.length === 0
        ? [
            {
              type: 'DuplicateCheckCleared',
              data: { matcher: command.matcher, comparedWith: command.comparedWith, at: command.now },
            },
          ]
        : [
            {
              type: 'DuplicateCandidatesFound',
              data: {
                matcher: command.matcher,
                comparedWith: command.comparedWith,
                candidates: command.candidates,
                at: command.now,
              },
            },
          ];
    case 'Adjudicate':
      return adjudicate(command, a);
    case 'Approve':
      return approve(command, a);
    case 'Reject':
      return reject(command, a);
    case 'Cancel':
      return cancel(command, a);
    case 'RecordCardStatus':
      return recordCard(command, a);
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${(unknown as { type: string }).type}`);
    }
  }
}

/** The card application aggregate (hồ sơ đề nghị cấp thẻ căn cước). */
export const applicationDecider: Decider<ApplicationState, ApplicationCommand, ApplicationEvent> = {
  decide,
  evolve,
  initialState,
};
