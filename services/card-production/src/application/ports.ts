import type { SqlExecutor, Tx } from '@cancuoc/eventstore';
import type { Signer } from '@cancuoc/icao9303';

/** The service's clock; injected so tests can move time. */
export type Clock = () => Date;

export interface Portrait {
  readonly image: Uint8Array;
  readonly mediaType: string;
  /** SHA-256 of `image`, hex, as the source states it (checked again against the image). */
  readonly sha256: string;
}

/**
 * Where the clear portrait of a submitted application comes from: enrollment's
 * PersonalisationDataService. `PortraitUnavailableError` means try again later; `PortraitRefusedError`
 * means this application will not get one without an operator.
 */
export interface PortraitSource {
  getPortrait(applicationId: string, reference: string): Promise<Portrait>;
}

/**
 * The source cannot be reached, is overloaded or refuses our credentials: the job waits, showing
 * `reason`, and is retried with backoff.
 */
export class PortraitUnavailableError extends Error {
  override readonly name = 'PortraitUnavailableError';
  constructor(
    readonly reason:
      | 'ENROLLMENT_UNAVAILABLE'
      | 'ENROLLMENT_REFUSED_CREDENTIALS'
      /** Card production could not get its own token for enrollment (the OpenID provider). */
      | 'ENROLLMENT_CREDENTIALS_UNAVAILABLE',
  ) {
    super(reason);
  }
}

/** The source answered that it will not release this portrait (unknown, not submitted, key destroyed). */
export class PortraitRefusedError extends Error {
  override readonly name = 'PortraitRefusedError';
  constructor(
    readonly reason: 'PORTRAIT_NOT_FOUND' | 'PORTRAIT_WITHHELD',
    message: string,
  ) {
    super(message);
  }
}

/** A Document Signer certificate as relying parties and operators see it. */
export interface DocumentSignerInfo {
  /** Hex of the certificate's subject key identifier. */
  readonly keyId: string;
  readonly certificate: Uint8Array;
  readonly signsFrom: Date;
  readonly signsUntil: Date;
  readonly current: boolean;
}

/**
 * The Document Signers (architecture decision 9, ICAO Doc 9303 Part 12): the place where an HSM
 * plugs in. `current` is the key that signs new cards now; retired keys never sign again, but their
 * certificates stay listed so that cards they signed can still be checked.
 */
export interface DocumentSigners {
  current(now: Date): Promise<{ readonly keyId: string; readonly signer: Signer }>;
  certificates(now: Date): Promise<readonly DocumentSignerInfo[]>;
  cscaCertificates(): Promise<readonly Uint8Array[]>;
  /** Retires the signer in force and makes the next one current. */
  rotate(now: Date): Promise<{ readonly retired: DocumentSignerInfo; readonly current: DocumentSignerInfo }>;
}

/** No Document Signer can sign now (an HSM unreachable, keys missing): personalisation waits. */
export class SignerUnavailableError extends Error {
  override readonly name = 'SignerUnavailableError';
}

/** What the vault keeps per card: the register data it is made from, and the chip's files. */
export type VaultItem = 'register-data' | 'chip-files';

/**
 * Personal data kept beside the card streams, encrypted with a per-card data key (architecture
 * decision 9): the register data until the card is delivered or stopped, the chip's files until the
 * card passed its quality check. Purging deletes the wrapped key with the data.
 */
export interface CardVault {
  put(tx: Tx, cardId: string, item: VaultItem, plaintext: Uint8Array): Promise<void>;
  get(db: SqlExecutor, cardId: string, item: VaultItem): Promise<Uint8Array | undefined>;
  purge(tx: Tx, cardId: string, items: readonly VaultItem[]): Promise<void>;
}

/**
 * Station presence and heartbeat-extended lease deadlines, shared between instances and fast
 * (architecture decision 7: Redis). Never the truth: the lease in PostgreSQL is. A failing board
 * answers "nothing known", so leases then run out at the deadline PostgreSQL holds and a job is
 * dispatched again; a completion under the old lease is then refused, so no card is encoded twice.
 */
export interface LeaseBoard {
  /** Records that the station still works under `leaseId`, until `until`. Best effort. */
  extend(leaseId: string, until: Date): Promise<boolean>;
  /** The deadlines heartbeats have extended leases to; missing entries are unknown. */
  extendedUntil(leaseIds: readonly string[]): Promise<ReadonlyMap<string, Date>>;
  /** Marks the station present for a while; its stream opening and its heartbeats call it. */
  stationConnected(stationId: string): Promise<void>;
  stationDisconnected(stationId: string): Promise<void>;
  /** Stations with an open job stream on any instance, as far as the board knows. */
  connectedStations(): Promise<number>;
}
