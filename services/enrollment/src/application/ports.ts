import type { Tx } from '@cancuoc/eventstore';
import type { RegisterLookup } from '../domain/application/citizen-data.js';
import type { DuplicateCandidate } from '../domain/application/events.js';
import type { DecodedImage } from '../domain/biometrics/face-checks.js';
import type { MinutiaeRecord } from '../domain/biometrics/iso19794-2.js';
import type { FingerImageRecord } from '../domain/biometrics/iso19794-4.js';

/**
 * The population register as enrollment needs it: the current record for a personal id number.
 * A register that cannot answer (down, overloaded, refusing our credentials) throws
 * `DependencyUnavailableError`; an unknown number is `not-found`, an answer, not a failure.
 */
export interface RegisterPort {
  lookup(personalId: string): Promise<RegisterLookup>;
}

/**
 * Wraps and unwraps data keys under a master key that never leaves the provider: a local key for
 * the embedded default and development, a KMS or an HSM in production. `keyId` names the master
 * key a data key was wrapped with, so master keys can be rotated while old wraps stay readable.
 */
export interface KeyProvider {
  wrap(dataKey: Uint8Array): Promise<{ readonly keyId: string; readonly wrapped: Uint8Array }>;
  unwrap(keyId: string, wrapped: Uint8Array): Promise<Uint8Array>;
}

/** A ten-print as captured: minutiae (ISO/IEC 19794-2) or finger images (ISO/IEC 19794-4). */
export type TenPrint =
  | { readonly kind: 'minutiae'; readonly record: MinutiaeRecord }
  | { readonly kind: 'images'; readonly record: FingerImageRecord };

/** A ten-print to search for among the enrolled: the application's, with its citizen left out. */
export interface DuplicateProbe {
  readonly applicationId: string;
  readonly citizenId: string;
  readonly prints: TenPrint;
}

export interface DuplicateSearchResult {
  /** How many enrolled people the probe was compared with. */
  readonly comparedWith: number;
  /** Best first. */
  readonly candidates: readonly DuplicateCandidate[];
}

/**
 * The 1:N duplicate check (deduplication). The built-in matcher searches enrollment's own gallery;
 * a national ABIS plugs in here. A matcher that cannot answer throws `DependencyUnavailableError`.
 */
export interface DuplicateMatcher {
  readonly name: string;
  /** Whether it can search with finger images; one that cannot takes minutiae records only. */
  readonly comparesImages: boolean;
  search(probe: DuplicateProbe): Promise<DuplicateSearchResult>;
}

/** Decodes a portrait (JPEG, PNG, JPEG 2000) far enough to judge it; refuses what it cannot read. */
export interface ImageDecoder {
  decode(bytes: Uint8Array): Promise<DecodedImage>;
}

/** One access to personal data, as the audit log records it (architecture decision 9). */
export interface AuditedAccess {
  /** Who: a staff member or service, from the token. */
  readonly actor: string;
  /** What was done, e.g. `portrait.released`. */
  readonly action: string;
  /** The stated purpose, e.g. `card-personalisation`. */
  readonly purpose: string;
  /** Whose data: the register's citizen id (opaque). */
  readonly subjectId: string;
  /** Which fields or objects were read. */
  readonly fields: readonly string[];
  readonly detail?: Readonly<Record<string, string>>;
}

/** The service's append-only, hash-chained audit log. */
export interface AuditTrail {
  record(entry: AuditedAccess, tx?: Tx): Promise<unknown>;
  recordMany(entries: readonly AuditedAccess[], tx?: Tx): Promise<unknown>;
}

/**
 * Counts calls per key in fixed windows (Redis across replicas, memory when embedded). Start calls
 * read a citizen's register record, so a station is held to a rate a real queue of people could
 * not exceed: a stolen station's tokens cannot be used to harvest the register.
 */
export interface RateLimiter {
  /** Whether one more call under `key` fits in the current window of `windowMs`. */
  allow(key: string, limit: number, windowMs: number): Promise<boolean>;
}
