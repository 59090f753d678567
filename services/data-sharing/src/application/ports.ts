import type { Disclosure } from '../domain/disclosure/disclose.js';

/** Encodes what an agency may know of a citizen as the bytes it receives (the partner contract). */
export type DisclosureEncoder = (disclosure: Disclosure) => Uint8Array;

/**
 * Mutual exclusion between publishing to an agency and changing what it may receive. The publisher
 * holds an agency's gate while it reads, publishes and records a batch; a change of terms or status,
 * once committed, passes the gate (`barrier`) before it returns, so that when it returns no batch
 * read under the old terms is still on its way.
 */
export interface DeliveryGate {
  hold<T>(agency: string, work: () => Promise<T>): Promise<T>;
  barrier(agency: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether an agency's two topics exist. Data sharing never creates partner topics on a Kafka
 * cluster (the deploy provisions them when an agency is onboarded) and never names a missing one
 * to the brokers, so that a broker that auto-creates topics cannot make one of the wrong shape.
 */
export interface PartnerTopics {
  ready(agency: string): Promise<boolean>;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: how long until the window resets. */
  readonly retryAfterMs: number;
}

/** Counts calls per key in fixed windows; `cost` is how many this call counts for (a batch's keys). */
export interface RateLimiter {
  take(key: string, limit: number, windowMs: number, cost?: number): Promise<RateDecision>;
}

/** Structured log lines. Fields hold ids, counts and error class names, never personal data. */
export interface Logger {
  info(event: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Refused calls (`auth.refused`); those without it log them as errors. */
  warn?(event: string, fields?: Readonly<Record<string, unknown>>): void;
  error(event: string, fields?: Readonly<Record<string, unknown>>): void;
}
