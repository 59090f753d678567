import type { SubscriptionEvent } from './events.js';
import type { Terms } from './terms.js';

export type SubscriptionStatus = 'requested' | 'approved' | 'suspended' | 'revoked';

export interface PendingChange {
  readonly terms: Terms;
  readonly proposedBy: string;
  readonly proposedAt: string;
  readonly reason: string;
}

export interface Subscription {
  readonly subscriptionId: string;
  readonly agency: string;
  readonly agencyName: string;
  readonly purpose: string;
  readonly purposeDescription: string;
  readonly legalBasis: string;
  readonly status: SubscriptionStatus;
  /** The terms in force. */
  readonly terms: Terms;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly approvedBy: string | null;
  readonly approvedAt: string | null;
  readonly statusChangedBy: string | null;
  readonly statusReason: string | null;
  readonly pendingChange: PendingChange | null;
}

export type SubscriptionState = { readonly status: 'none' } | Subscription;

export const initialState = (): SubscriptionState => ({ status: 'none' });

function existing(state: SubscriptionState): Subscription {
  if (state.status === 'none') throw new Error('an event for a subscription that was never requested');
  return state;
}

export function evolve(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  switch (event.type) {
    case 'SubscriptionRequested': {
      const d = event.data;
      return {
        subscriptionId: d.subscriptionId,
        agency: d.agency,
        agencyName: d.agencyName,
        purpose: d.purpose,
        purposeDescription: d.purposeDescription,
        legalBasis: d.legalBasis,
        status: 'requested',
        terms: d.terms,
        requestedBy: d.requestedBy,
        requestedAt: d.requestedAt,
        approvedBy: null,
        approvedAt: null,
        statusChangedBy: null,
        statusReason: null,
        pendingChange: null,
      };
    }
    case 'SubscriptionApproved':
      return {
        ...existing(state),
        status: 'approved',
        approvedBy: event.data.approvedBy,
        approvedAt: event.data.approvedAt,
      };
    case 'SubscriptionTermsChanged':
      return { ...existing(state), terms: event.data.terms, pendingChange: null };
    case 'SubscriptionChangeProposed':
      return {
        ...existing(state),
        pendingChange: {
          terms: event.data.terms,
          proposedBy: event.data.proposedBy,
          proposedAt: event.data.proposedAt,
          reason: event.data.reason,
        },
      };
    case 'SubscriptionChangeApproved':
      return {
        ...existing(state),
        terms: event.data.terms,
        pendingChange: null,
        approvedBy: event.data.approvedBy,
        approvedAt: event.data.approvedAt,
      };
    case 'SubscriptionSuspended':
      return {
        ...existing(state),
        status: 'suspended',
        statusChangedBy: event.data.by,
        statusReason: event.data.reason,
      };
    case 'SubscriptionResumed':
      return {
        ...existing(state),
        status: 'approved',
        statusChangedBy: event.data.by,
        statusReason: event.data.reason,
      };
    case 'SubscriptionRevoked':
      return {
        ...existing(state),
        status: 'revoked',
        pendingChange: null,
        statusChangedBy: event.data.by,
        statusReason: event.data.reason,
      };
    default: {
      const unknown: never = event;
      throw new Error(`unknown subscription event ${(unknown as SubscriptionEvent).type}`);
    }
  }
}
