import type { Decider } from '@cancuoc/eventstore';
import type { FieldViolation } from '@cancuoc/identity';
import type { SubscriptionCommand } from './commands.js';
import {
  InvalidSubscriptionCommandError,
  SubscriptionAlreadyExistsError,
  SubscriptionNotFoundError,
  SubscriptionRuleViolationError,
} from './errors.js';
import type { SubscriptionEvent } from './events.js';
import { evolve, initialState, type Subscription, type SubscriptionState } from './state.js';
import { narrows, normalTerms, sameTerms, type Terms, type TermsInput } from './terms.js';

/** An agency code names its tokens (`agency:<code>`) and its topics (`partner.<code>.…`). */
export const AGENCY = /^[a-z][a-z0-9-]{1,39}$/;
/** The purpose code every query of the agency states. */
export const PURPOSE = /^[a-z][a-z0-9-]{2,63}$/;
const MAX_REASON = 1_000;
const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function text(violations: FieldViolation[], field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed === '') violations.push({ field, reason: 'REQUIRED', description: 'a value is required' });
  else if (trimmed.length > max)
    violations.push({ field, reason: 'TOO_LONG', description: `at most ${max} characters` });
  return trimmed;
}

function checkedTerms(input: TermsInput, violations: FieldViolation[]): Terms | undefined {
  const result = normalTerms(input, 'terms.');
  if ('terms' in result) return result.terms;
  violations.push(...result.violations);
  return undefined;
}

function refuseIfInvalid(violations: readonly FieldViolation[]): void {
  if (violations.length > 0) throw new InvalidSubscriptionCommandError(violations);
}

function existing(state: SubscriptionState): Subscription {
  if (state.status === 'none') throw new SubscriptionNotFoundError();
  return state;
}

function live(state: SubscriptionState): Subscription {
  const s = existing(state);
  if (s.status === 'revoked')
    throw new SubscriptionRuleViolationError('SUBSCRIPTION_REVOKED', 'the subscription is revoked');
  return s;
}

/** The fields of a request, checked and trimmed; `terms` undefined when they are not valid. */
function requestFields(
  command: Extract<SubscriptionCommand, { type: 'RequestSubscription' }>,
  v: FieldViolation[],
) {
  if (!SUBSCRIPTION_ID.test(command.subscriptionId))
    v.push({ field: 'subscriptionId', reason: 'INVALID_FORMAT', description: 'a lower-case UUID' });
  if (!AGENCY.test(command.agency))
    v.push({
      field: 'agency',
      reason: 'INVALID_FORMAT',
      description: 'a lower-case code of 2 to 40 letters, digits and hyphens, starting with a letter',
    });
  if (!PURPOSE.test(command.purpose))
    v.push({
      field: 'purpose',
      reason: 'INVALID_FORMAT',
      description: 'a lower-case code of 3 to 64 letters, digits and hyphens, starting with a letter',
    });
  return {
    agencyName: text(v, 'agencyName', command.agencyName, 200),
    purposeDescription: text(v, 'purposeDescription', command.purposeDescription, 1_000),
    legalBasis: text(v, 'legalBasis', command.legalBasis, 500),
    terms: checkedTerms(command.terms, v),
  };
}

/**
 * Everything wrong with what a command carries, whatever the subscription's state: the application
 * refuses such a command before it reads or locks anything, and the decider once more.
 */
export function commandViolations(command: SubscriptionCommand): FieldViolation[] {
  const v: FieldViolation[] = [];
  switch (command.type) {
    case 'RequestSubscription':
      requestFields(command, v);
      break;
    case 'ChangeSubscription':
      text(v, 'reason', command.reason, MAX_REASON);
      checkedTerms(command.terms, v);
      break;
    case 'SuspendSubscription':
    case 'ResumeSubscription':
    case 'RevokeSubscription':
      text(v, 'reason', command.reason, MAX_REASON);
      break;
    case 'ApproveSubscription':
      break;
    default: {
      const unknown: never = command;
      throw new Error(`unknown subscription command ${(unknown as SubscriptionCommand).type}`);
    }
  }
  return v;
}

function request(
  command: Extract<SubscriptionCommand, { type: 'RequestSubscription' }>,
  state: SubscriptionState,
): SubscriptionEvent[] {
  if (state.status !== 'none') throw new SubscriptionAlreadyExistsError();
  const v: FieldViolation[] = [];
  const { agencyName, purposeDescription, legalBasis, terms } = requestFields(command, v);
  refuseIfInvalid(v);
  return [
    {
      type: 'SubscriptionRequested',
      data: {
        subscriptionId: command.subscriptionId,
        agency: command.agency,
        agencyName,
        purpose: command.purpose,
        purposeDescription,
        legalBasis,
        terms: terms!,
        requestedBy: command.by,
        requestedAt: command.at,
      },
    },
  ];
}

/** Four eyes: who approves is never who asked. */
function approve(command: { by: string; at: string }, state: SubscriptionState): SubscriptionEvent[] {
  const s = live(state);
  if (s.status === 'requested') {
    if (command.by === s.requestedBy)
      throw new SubscriptionRuleViolationError(
        'SAME_APPROVER',
        'a subscription is approved by another administrator than the one who requested it',
      );
    return [{ type: 'SubscriptionApproved', data: { approvedBy: command.by, approvedAt: command.at } }];
  }
  if (!s.pendingChange)
    throw new SubscriptionRuleViolationError('NOTHING_TO_APPROVE', 'the subscription has no pending change');
  if (command.by === s.pendingChange.proposedBy)
    throw new SubscriptionRuleViolationError(
      'SAME_APPROVER',
      'a change is approved by another administrator than the one who proposed it',
    );
  return [
    {
      type: 'SubscriptionChangeApproved',
      data: { terms: s.pendingChange.terms, approvedBy: command.by, approvedAt: command.at },
    },
  ];
}

/**
 * Before approval every change simply replaces the terms (the approval will judge them). Once
 * approved, a change that only narrows applies at once — less data must never wait — and one that
 * widens anything is proposed, the current terms staying in force until it is approved. A new
 * change replaces a proposal still pending.
 */
function change(
  command: Extract<SubscriptionCommand, { type: 'ChangeSubscription' }>,
  state: SubscriptionState,
): SubscriptionEvent[] {
  const s = live(state);
  const v: FieldViolation[] = [];
  const reason = text(v, 'reason', command.reason, MAX_REASON);
  const terms = checkedTerms(command.terms, v);
  refuseIfInvalid(v);
  const to = terms!;
  if (sameTerms(s.terms, to) && !s.pendingChange) return [];
  const applied = { terms: to, changedBy: command.by, changedAt: command.at, reason };
  if (s.status === 'requested' || narrows(s.terms, to))
    return [{ type: 'SubscriptionTermsChanged', data: applied }];
  return [
    {
      type: 'SubscriptionChangeProposed',
      data: { terms: to, proposedBy: command.by, proposedAt: command.at, reason },
    },
  ];
}

function statusChange(
  type: 'SubscriptionSuspended' | 'SubscriptionResumed' | 'SubscriptionRevoked',
  command: { by: string; at: string; reason: string },
): SubscriptionEvent[] {
  const v: FieldViolation[] = [];
  const reason = text(v, 'reason', command.reason, MAX_REASON);
  refuseIfInvalid(v);
  return [{ type, data: { by: command.by, at: command.at, reason } }];
}

function decide(command: SubscriptionCommand, state: SubscriptionState): SubscriptionEvent[] {
  switch (command.type) {
    case 'RequestSubscription':
      return request(command, state);
    case 'ApproveSubscription':
      return approve(command, state);
    case 'ChangeSubscription':
      return change(command, state);
    case 'SuspendSubscription': {
      const s = live(state);
      if (s.status === 'suspended') return [];
      if (s.status !== 'approved')
        throw new SubscriptionRuleViolationError(
          'SUBSCRIPTION_NOT_APPROVED',
          'only an approved subscription is suspended',
        );
      return statusChange('SubscriptionSuspended', command);
    }
    case 'ResumeSubscription': {
      const s = live(state);
      if (s.status === 'approved') return [];
      if (s.status !== 'suspended')
        throw new SubscriptionRuleViolationError(
          'SUBSCRIPTION_NOT_SUSPENDED',
          'only a suspended subscription is resumed',
        );
      return statusChange('SubscriptionResumed', command);
    }
    case 'RevokeSubscription':
      // Revoking what is revoked changes nothing, so a repeated revocation is never an error.
      if (existing(state).status === 'revoked') return [];
      return statusChange('SubscriptionRevoked', command);
    default: {
      const unknown: never = command;
      throw new Error(`unknown subscription command ${(unknown as SubscriptionCommand).type}`);
    }
  }
}

/** An agency subscription as a decider: its whole life as events, every step with who took it. */
export const subscriptionDecider: Decider<SubscriptionState, SubscriptionCommand, SubscriptionEvent> = {
  decide,
  evolve,
  initialState,
};
