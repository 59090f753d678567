import type { DomainEvent } from '@cancuoc/eventstore';
import type { Terms } from './terms.js';

export type SubscriptionRequested = DomainEvent<
  'SubscriptionRequested',
  {
    readonly subscriptionId: string;
    readonly agency: string;
    readonly agencyName: string;
    readonly purpose: string;
    readonly purposeDescription: string;
    readonly legalBasis: string;
    readonly terms: Terms;
    readonly requestedBy: string;
    readonly requestedAt: string;
  }
>;
export type SubscriptionApproved = DomainEvent<
  'SubscriptionApproved',
  { readonly approvedBy: string; readonly approvedAt: string }
>;
/** New terms in force at once: any change before approval, or one that only narrows. */
export type SubscriptionTermsChanged = DomainEvent<
  'SubscriptionTermsChanged',
  { readonly terms: Terms; readonly changedBy: string; readonly changedAt: string; readonly reason: string }
>;
/** A widening change, waiting for a second administrator; the terms in force stay. */
export type SubscriptionChangeProposed = DomainEvent<
  'SubscriptionChangeProposed',
  { readonly terms: Terms; readonly proposedBy: string; readonly proposedAt: string; readonly reason: string }
>;
export type SubscriptionChangeApproved = DomainEvent<
  'SubscriptionChangeApproved',
  { readonly terms: Terms; readonly approvedBy: string; readonly approvedAt: string }
>;
type StatusChange = { readonly by: string; readonly at: string; readonly reason: string };
export type SubscriptionSuspended = DomainEvent<'SubscriptionSuspended', StatusChange>;
export type SubscriptionResumed = DomainEvent<'SubscriptionResumed', StatusChange>;
export type SubscriptionRevoked = DomainEvent<'SubscriptionRevoked', StatusChange>;

export type SubscriptionEvent =
  | SubscriptionRequested
  | SubscriptionApproved
  | SubscriptionTermsChanged
  | SubscriptionChangeProposed
  | SubscriptionChangeApproved
  | SubscriptionSuspended
  | SubscriptionResumed
  | SubscriptionRevoked;

export const subscriptionStreamId = (subscriptionId: string) => `subscription-${subscriptionId}`;
export const SUBSCRIPTION_STREAM_PREFIX = 'subscription-';
